//! Which language a page speaks: `?lang=`, else the browser's
//! `Accept-Language`, else the survey's default.

/// The languages of `accept` (an `Accept-Language` header) in the order
/// the browser prefers them (by q-value, then as listed), `q=0` left out.
/// Region subtags are dropped: `ru-RU` asks for `ru`.
pub fn preferred(accept: &str) -> Vec<String> {
    let mut tags: Vec<(u16, usize, String)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, item)| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim().to_ascii_lowercase();
            let mut q = 1000u16;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=") {
                    q = parse_q(v.trim())?;
                }
            }
            let primary = tag.split('-').next()?.to_string();
            (q > 0 && !primary.is_empty() && primary != "*").then_some((q, i, primary))
        })
        .collect();
    tags.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, _, t) in tags {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// A q-value in thousandths; `None` when it is not one.
fn parse_q(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u16 = match int {
        "0" => 0,
        "1" => 1,
        _ => return None,
    };
    let frac: u16 = format!("{frac:0<3}").parse().ok()?;
    let q = int * 1000 + frac;
    (q <= 1000).then_some(q)
}

/// The first of `wanted` (the `lang` parameter, then the browser's
/// languages) that `offered` has; else `fallback`.
pub fn choose<'a>(
    param: Option<&str>,
    accept: Option<&str>,
    offered: &[&'a str],
    fallback: &'a str,
) -> &'a str {
    let from_param = param.and_then(|p| offered.iter().find(|o| **o == p));
    if let Some(found) = from_param {
        return found;
    }
    let browser = accept.map(preferred).unwrap_or_default();
    browser
        .iter()
        .find_map(|b| offered.iter().find(|o| **o == b.as_str()))
        .copied()
        .unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_quality_then_position() {
        assert_eq!(
            preferred("en;q=0.5, ky, ru-RU;q=0.9, de;q=0, *;q=0.1"),
            ["ky", "ru", "en"]
        );
        assert_eq!(preferred(""), Vec::<String>::new());
        assert_eq!(preferred("ka;q=bad, uk"), ["uk"]);
    }

    #[test]
    fn the_parameter_wins_then_the_browser_then_the_fallback() {
        let offered = ["ru", "en", "ky"];
        assert_eq!(choose(Some("ky"), Some("en"), &offered, "ru"), "ky");
        assert_eq!(
            choose(Some("xx"), Some("de, en;q=0.8"), &offered, "ru"),
            "en"
        );
        assert_eq!(choose(None, Some("de"), &offered, "ru"), "ru");
        assert_eq!(choose(None, None, &offered, "en"), "en");
    }
}
