//! One URL path segment from any text (a survey id, a release id): the
//! browser runner, the collector's results pages and the published reports
//! all link with this one rule.

/// `s` percent-encoded as one URL path segment: every byte but RFC 3986's
/// unreserved characters (`A–Z a–z 0–9 - _ . ~`) becomes `%XX`.
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("ost-hiv_access.1"), "ost-hiv_access.1");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
        assert_eq!(path_segment("ост"), "%D0%BE%D1%81%D1%82");
    }
}
