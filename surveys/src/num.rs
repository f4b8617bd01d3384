//! Numbers to and from text without the standard library's float code.
//!
//! `str::parse::<f64>` and `f64`'s `Display` each bring their own tables
//! and code into the browser bundle (some 20 KB compressed together), while
//! serde_json's number reader and writer (natively) and JavaScript's
//! `parseFloat` (in the browser), which the bundle has anyway, give the same
//! results: all read with correct rounding, and both writers write the
//! shortest digits that read back as the same number. The two functions here
//! keep the standard library's behaviour exactly (the syntax it accepts, the
//! text it writes) on top of serde_json's; the tests compare them with it.

/// `s.parse::<f64>().ok()`: the same syntax (an optional sign, then `inf`,
/// `infinity`, `nan` in any case, or digits with an optional `.` and
/// exponent) and the same value.
pub fn parse_f64(s: &str) -> Option<f64> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let signed = |x: f64| if negative { -x } else { x };
    if body.eq_ignore_ascii_case("inf") || body.eq_ignore_ascii_case("infinity") {
        return Some(signed(f64::INFINITY));
    }
    if body.eq_ignore_ascii_case("nan") {
        return Some(signed(f64::NAN));
    }
    let bytes = body.as_bytes();
    let digits_from = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let int_end = digits_from(0);
    let int = &body[..int_end];
    let mut i = int_end;
    let mut frac = "";
    if bytes.get(i) == Some(&b'.') {
        let end = digits_from(i + 1);
        frac = &body[i + 1..end];
        i = end;
    }
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut exp = "";
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(i + 1), Some(b'+' | b'-')));
        let end = digits_from(i + 1 + sign);
        if end == i + 1 + sign {
            return None;
        }
        exp = &body[i + 1..end];
        i = end;
    }
    if i != bytes.len() {
        return None;
    }
    // The same number in JSON's syntax: no `+`, no leading zeros, digits on
    // both sides of the point.
    let int = int.trim_start_matches('0');
    let mut json = String::with_capacity(s.len() + 2);
    json.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        json.push('.');
        json.push_str(frac);
    }
    if !exp.is_empty() {
        json.push('e');
        json.push_str(exp);
    }
    Some(signed(read_json_number(&json)))
}

/// A number in JSON's syntax, correctly rounded: by serde_json's exact
/// reader (`float_roundtrip`), which refuses only a number too large for an
/// f64, which the standard library reads as infinity (one too small reads
/// as zero in both).
#[cfg(not(target_arch = "wasm32"))]
fn read_json_number(json: &str) -> f64 {
    serde_json::from_str::<f64>(json).unwrap_or(f64::INFINITY)
}

/// In the browser, by JavaScript's `parseFloat`, which rounds correctly too
/// (and reads a number too large as infinity): the bundle leaves out
/// serde_json's exact reader, some 8 KB compressed (see `NUMBER_DIGITS`
/// in `load` for the numbers a definition may hold).
#[cfg(target_arch = "wasm32")]
fn read_json_number(json: &str) -> f64 {
    js_sys::Number::parse_float(json)
}

/// Whether `x`, as the collector writes it in a survey's definition
/// (serde_json's shortest digits), is read back exactly by any reader of
/// JSON numbers, the browser bundle's included (serde_json without
/// `float_roundtrip`): its digits make a whole number below 2^53 and its
/// power of ten is within ±22, so that reading it is one correctly rounded
/// multiplication or division. Every bound a survey author writes by hand
/// is (`0.5`, `120`, `37.25`); `load` refuses the others.
pub fn exact_in_browser(x: f64) -> bool {
    let Some(n) = serde_json::Number::from_f64(x) else {
        return false;
    };
    let text = n.to_string();
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(i64::MAX)),
        None => (text.as_str(), 0),
    };
    let frac = mantissa.split_once('.').map_or(0, |(_, f)| f.len()) as i64;
    let digits = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .skip_while(|&d| d == b'0');
    let mut significand: u64 = 0;
    for d in digits {
        significand = match significand.checked_mul(10) {
            Some(v) if v < 1 << 53 => v + u64::from(d - b'0'),
            _ => return false,
        };
    }
    significand < 1 << 53 && (exp.saturating_sub(frac)).abs() <= 22
}

/// `x.to_string()`: the shortest digits that read back as `x`, written
/// out without an exponent (`1000000000000000000000`, `0.0000001`), `-0`,
/// `inf`, `-inf` and `NaN` as the standard library writes them.
pub fn format_f64(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x.is_infinite() {
        return format!("{sign}inf");
    }
    if x == 0.0 {
        return format!("{sign}0");
    }
    // serde_json's shortest form: `1.5`, `100.0`, `1e21`, `1.5e-7`.
    let text = serde_json::Number::from_f64(x.abs()).map_or_else(String::new, |n| n.to_string());
    let (mantissa, exp) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().unwrap_or(0)),
        None => (text.as_str(), 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    // The value is 0.DIGITS × 10^point.
    let all: String = [int, frac].concat();
    let digits = all.trim_start_matches('0');
    let mut point = int.len() as i64 + exp - (all.len() - digits.len()) as i64;
    let mut digits = digits.trim_end_matches('0').to_string();
    // Where two shortest forms are equally near (`x` lies exactly half way,
    // as 2^-25 = 0.0000000298023223876953125 does), serde_json takes the
    // even last digit and the standard library the larger one.
    if let Some((exact, exact_point)) = short_exact_digits(x.abs())
        && exact.len() == digits.len() + 1
        && exact_point == point
        && exact.ends_with('5')
        && exact.starts_with(digits.as_str())
    {
        digits = round_up(&digits, &mut point);
    }
    let n = digits.len() as i64;
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-point) as usize));
        out.push_str(&digits);
    } else if point >= n {
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (point - n) as usize));
    } else {
        out.push_str(&digits[..point as usize]);
        out.push('.');
        out.push_str(&digits[point as usize..]);
    }
    out
}

/// The exact decimal digits of a positive finite `x`, as 0.DIGITS ×
/// 10^point, when there are at most 19 of them (only such an `x` can lie
/// half way between two 17-digit forms).
fn short_exact_digits(x: f64) -> Option<(String, i64)> {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    let (mut m, mut e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    let zeros = m.trailing_zeros();
    m >>= zeros;
    e += i64::from(zeros);
    // x = m × 2^e with m odd; written as n × 10^k with n free of tens.
    let (n, k): (u128, i64) = if e < 0 {
        // m × 5^-e × 10^e
        if e < -26 {
            return None;
        }
        (u128::from(m) * 5u128.pow((-e) as u32), e)
    } else {
        let mut j = 0;
        let mut m5 = m;
        while j < e && m5 % 5 == 0 {
            m5 /= 5;
            j += 1;
        }
        // m5 × 2^(e-j) × 10^j
        if e - j > 64 {
            return None;
        }
        (u128::from(m5) << (e - j), j)
    };
    let text = n.to_string();
    (text.len() <= 19).then(|| {
        let point = text.len() as i64 + k;
        (text, point)
    })
}

/// `digits` plus one in the last place (`0.DIGITS × 10^point`).
fn round_up(digits: &str, point: &mut i64) -> String {
    let mut d = digits.as_bytes().to_vec();
    let mut i = d.len();
    loop {
        if i == 0 {
            d.insert(0, b'1');
            *point += 1;
            break;
        }
        i -= 1;
        if d[i] == b'9' {
            d[i] = b'0';
        } else {
            d[i] += 1;
            break;
        }
    }
    while d.last() == Some(&b'0') {
        d.pop();
    }
    String::from_utf8(d).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift64*), so that a failure
    /// repeats.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    fn same_parse(s: &str) {
        let ours = parse_f64(s).map(f64::to_bits);
        let std = s.parse::<f64>().ok().map(f64::to_bits);
        assert_eq!(ours, std, "parse_f64({s:?})");
    }

    fn same_format(x: f64) {
        assert_eq!(
            format_f64(x),
            x.to_string(),
            "format_f64({:#x})",
            x.to_bits()
        );
    }

    #[test]
    fn hand_written_bounds_read_back_exactly_in_the_browser() {
        for x in [
            0.0,
            -0.0,
            0.5,
            120.0,
            37.25,
            -12.125,
            0.1,
            0.001,
            1.5e-7,
            99.99,
            1e21,
            1e22,
            123_456_789_012_345.0,
            2.5e-20,
        ] {
            assert!(exact_in_browser(x), "{x}");
        }
        for x in [
            0.30000000000000004,
            1.234_567_890_123_456_7,
            5e-324,
            1e23,
            1e-23,
            f64::MAX,
            f64::MIN_POSITIVE,
            9_007_199_254_740_993.0 * 10.0,
            f64::NAN,
            f64::INFINITY,
        ] {
            assert!(!exact_in_browser(x), "{x}");
        }
    }

    #[test]
    fn parses_as_the_standard_library_does() {
        // `|`-separated, so that the empty text and spaces are cases too.
        let cases = "|+|-|.|-.|+.|e|1e|1e+|1e-|e5|.e5|1.e5|1.|.5|-.5|+.5|0|-0|+0|00|007|-007.50|\
            0.0|-0.0|1e400|-1e400|1e-400|-1e-400|1e-99999999999999999999|1e99999999999999999999|\
            0e99999999999999999999|inf|-inf|+inf|INF|Infinity|-infinity|infinit|nan|NaN|-nan|\
            +NAN|nana| 1|1 |1_000|0x10|1e5.5|1..5|--1|+-1|1e+-5|2.2250738585072011e-308|\
            2.2250738585072012e-308|4.9406564584124654e-324|2.4703282292062327e-324|\
            2.4703282292062328e-324|1.7976931348623157e308|1.7976931348623158e308|\
            1.7976931348623159e308|9007199254740993|18446744073709551615|18446744073709551616|\
            123456789012345678901234567890|0.1|0.30000000000000004|1E5|1e05|1,5|١|½";
        for s in cases.split('|') {
            same_parse(s);
        }
        let long = "9".repeat(400);
        same_parse(&long);
        same_parse(&format!("0.{}1", "0".repeat(400)));
        same_parse(&format!("{}.{}", "1".repeat(30), "7".repeat(800)));
    }

    #[test]
    fn parses_random_numbers_as_the_standard_library_does() {
        let mut rng = Rng(0x5eed_0fc4_0c0a_1100);
        let pick = |rng: &mut Rng, from: &[u8]| from[rng.below(from.len() as u64) as usize] as char;
        for _ in 0..50_000 {
            // Random text made of number-ish pieces.
            let mut s = String::new();
            match rng.below(4) {
                0 => s.push('-'),
                1 => s.push('+'),
                _ => {}
            }
            for _ in 0..rng.below(25) {
                s.push(pick(&mut rng, b"0123456789"));
            }
            if rng.below(3) > 0 {
                s.push('.');
                for _ in 0..rng.below(25) {
                    s.push(pick(&mut rng, b"0123456789"));
                }
            }
            if rng.below(2) == 0 {
                s.push(pick(&mut rng, b"eE"));
                if rng.below(2) == 0 {
                    s.push(pick(&mut rng, b"+-"));
                }
                let e = rng.below(400);
                s.push_str(&e.to_string());
            }
            if rng.below(50) == 0 {
                s.push(pick(&mut rng, b".e+- x"));
            }
            same_parse(&s);
        }
        // Every f64 written out in full and in scientific form reads back.
        for _ in 0..50_000 {
            let x = f64::from_bits(rng.next());
            same_parse(&x.to_string());
            same_parse(&format!("{x:e}"));
            same_parse(&format!("{x:.30e}"));
        }
    }

    #[test]
    fn formats_as_the_standard_library_does() {
        for x in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            0.5,
            1.5,
            100.0,
            123456.0,
            1e15,
            1e16,
            1e17,
            1e21,
            1e22,
            1e-5,
            1e-6,
            1e-7,
            1.5e-7,
            0.30000000000000004,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            -5e-324,
            9007199254740993.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            same_format(x);
        }
        for e in -1074..1024 {
            same_format(2f64.powi(e));
        }
        let mut rng = Rng(0xf04d_a7f6_4b17);
        for _ in 0..150_000 {
            same_format(f64::from_bits(rng.next()));
        }
        for _ in 0..50_000 {
            // Short decimals, as survey bounds are.
            let digits = rng.below(1_000_000) as f64;
            let scale = 10f64.powi(rng.below(12) as i32 - 6);
            same_format(digits * scale);
            same_format(rng.below(1 << 53) as f64);
        }
    }
}
