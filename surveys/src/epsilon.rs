//! Privacy-loss parameters as exact rationals.
//!
//! A privacy budget is spent by adding up ε values; floating point would let
//! rounding decide whether a publish overspends. `Epsilon` is a reduced
//! fraction of two `u64`s, parsed from what a researcher writes (`"1"`,
//! `"0.25"`, `"1/3"`), and all arithmetic on it is exact or refused.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative rational ε, always in lowest terms with a non-zero denominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Epsilon {
    num: u64,
    den: u64,
}

/// Why a text is not a usable ε.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EpsilonError {
    #[error("`{0}` is not a number; write ε as a decimal (0.5) or a fraction (1/3)")]
    Syntax(String),
    #[error("`{0}` has a zero denominator")]
    ZeroDenominator(String),
    #[error("`{0}` is too large or too precise to represent exactly")]
    Overflow(String),
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Epsilon {
    pub const ZERO: Epsilon = Epsilon { num: 0, den: 1 };

    /// `num / den` in lowest terms; `None` when `den` is zero.
    pub fn new(num: u64, den: u64) -> Option<Epsilon> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        Some(Epsilon {
            num: num / g,
            den: den / g,
        })
    }

    pub fn from_integer(n: u64) -> Epsilon {
        Epsilon { num: n, den: 1 }
    }

    pub fn numerator(self) -> u64 {
        self.num
    }

    pub fn denominator(self) -> u64 {
        self.den
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    /// Exact sum, or `None` on overflow.
    pub fn checked_add(self, other: Epsilon) -> Option<Epsilon> {
        let g = gcd(self.den, other.den);
        let l = (self.den / g).checked_mul(other.den)?;
        let a = self.num.checked_mul(l / self.den)?;
        let b = other.num.checked_mul(l / other.den)?;
        Epsilon::new(a.checked_add(b)?, l)
    }

    /// Exact difference, or `None` when it would be negative.
    pub fn checked_sub(self, other: Epsilon) -> Option<Epsilon> {
        let g = gcd(self.den, other.den);
        let l = (self.den / g).checked_mul(other.den)?;
        let a = self.num.checked_mul(l / self.den)?;
        let b = other.num.checked_mul(l / other.den)?;
        Epsilon::new(a.checked_sub(b)?, l)
    }

    /// ε / k, exact, or `None` on overflow or k = 0.
    pub fn checked_div_int(self, k: u64) -> Option<Epsilon> {
        if k == 0 {
            return None;
        }
        let g = gcd(self.num, k).max(1);
        Epsilon::new(self.num / g, self.den.checked_mul(k / g)?)
    }

    /// Approximate value, for display and for margins only; never for sampling
    /// or budget decisions.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }
}

impl PartialOrd for Epsilon {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Epsilon {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = u128::from(self.num) * u128::from(other.den);
        let b = u128::from(other.num) * u128::from(self.den);
        a.cmp(&b)
    }
}

impl FromStr for Epsilon {
    type Err = EpsilonError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let syntax = || EpsilonError::Syntax(s.to_string());
        let overflow = || EpsilonError::Overflow(s.to_string());
        let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
        if let Some((n, d)) = t.split_once('/') {
            let (n, d) = (n.trim(), d.trim());
            if !digits(n) || !digits(d) {
                return Err(syntax());
            }
            let n: u64 = n.parse().map_err(|_| overflow())?;
            let d: u64 = d.parse().map_err(|_| overflow())?;
            return Epsilon::new(n, d).ok_or_else(|| EpsilonError::ZeroDenominator(s.to_string()));
        }
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        let int = if int.is_empty() && !frac.is_empty() {
            "0"
        } else {
            int
        };
        if !digits(int) || !(frac.is_empty() || digits(frac)) {
            return Err(syntax());
        }
        let frac = frac.trim_end_matches('0');
        let den = 10u64
            .checked_pow(u32::try_from(frac.len()).map_err(|_| overflow())?)
            .ok_or_else(overflow)?;
        let int: u64 = int.parse().map_err(|_| overflow())?;
        let frac_n: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().map_err(|_| overflow())?
        };
        let num = int
            .checked_mul(den)
            .and_then(|v| v.checked_add(frac_n))
            .ok_or_else(overflow)?;
        Epsilon::new(num, den).ok_or_else(overflow)
    }
}

impl fmt::Display for Epsilon {
    /// A terminating decimal when there is one (`0.25`), else a fraction (`1/3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            return write!(f, "{}", self.num);
        }
        let mut d = self.den;
        let (mut twos, mut fives) = (0u32, 0u32);
        while d.is_multiple_of(2) {
            d /= 2;
            twos += 1;
        }
        while d.is_multiple_of(5) {
            d /= 5;
            fives += 1;
        }
        let places = twos.max(fives);
        if d == 1 && places <= 18 {
            let scale = 10u128.pow(places);
            let scaled = u128::from(self.num) * scale / u128::from(self.den);
            let int = scaled / scale;
            let frac = scaled % scale;
            write!(f, "{int}.{frac:0width$}", width = places as usize)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl Serialize for Epsilon {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Epsilon {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Epsilon {
        s.parse().expect("valid epsilon")
    }

    #[test]
    fn parses_decimals_and_fractions() {
        let cases = [
            ("1", (1, 1)),
            ("0.5", (1, 2)),
            (".25", (1, 4)),
            ("2.50", (5, 2)),
            ("1/3", (1, 3)),
            ("6/4", (3, 2)),
            ("0", (0, 1)),
        ];
        for (text, (n, d)) in cases {
            let eps = e(text);
            assert_eq!((eps.numerator(), eps.denominator()), (n, d), "{text}");
        }
    }

    #[test]
    fn refuses_bad_text() {
        for bad in ["", "-1", "1e3", "abc", "1/", "/2", "1.2.3", "0x10"] {
            assert!(
                matches!(bad.parse::<Epsilon>(), Err(EpsilonError::Syntax(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            "1/0".parse::<Epsilon>(),
            Err(EpsilonError::ZeroDenominator(_))
        ));
        assert!(matches!(
            "0.0000000000000000000001".parse::<Epsilon>(),
            Err(EpsilonError::Overflow(_))
        ));
    }

    #[test]
    fn arithmetic_is_exact() {
        let third = e("1/3");
        let sum = third.checked_add(third).and_then(|s| s.checked_add(third));
        assert_eq!(sum, Some(e("1")));
        // 0.1 + 0.2 is exactly 0.3 here, unlike in binary floating point.
        assert_eq!(e("0.1").checked_add(e("0.2")), Some(e("0.3")));
        assert_eq!(e("1").checked_sub(e("0.3")), Some(e("0.7")));
        assert_eq!(e("0.3").checked_sub(e("1")), None);
        assert_eq!(e("1").checked_div_int(3), Some(third));
        assert_eq!(e("2/3").checked_div_int(4), Some(e("1/6")));
        assert!(e("1/3") < e("0.34"));
        assert!(e("1/3") > e("0.33"));
    }

    #[test]
    fn displays_as_written() {
        for s in ["1", "0.5", "0.25", "1/3", "2.125", "0"] {
            assert_eq!(e(s).to_string(), s);
        }
        let json = serde_json::to_string(&e("0.5")).expect("serialises");
        assert_eq!(json, "\"0.5\"");
        let back: Epsilon = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, e("0.5"));
    }
}
