//! A small RFC 4180 reader: comma-separated fields, `"`-quoted fields that
//! may hold commas, line breaks and doubled quotes (`""`), records ended by
//! CRLF or LF. Each record keeps the line of the file it starts on, so that
//! every later complaint can name it.
//!
//! Leniencies, all common in files written by spreadsheets and R: a byte
//! order mark at the start is skipped, the last record need not end with a
//! line break, empty lines are skipped, and a `"` inside an unquoted field
//! is kept as it is.

/// One record of the file, with the line it starts on (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub line: usize,
    pub fields: Vec<String>,
}

/// A file that is not well-formed CSV.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// A quoted field runs to the end of the file.
    #[error(
        "line {line}: a quoted field opened here is never closed (a `\"` is missing; a quote inside a quoted field is written `\"\"`)"
    )]
    UnclosedQuote { line: usize },
    /// Something other than a comma or a line break follows a closing quote.
    #[error(
        "line {line}: `{found}` after the closing quote of a field; a quoted field ends with `\"` followed by a comma or the end of the line (a quote inside it is written `\"\"`)"
    )]
    AfterQuote { line: usize, found: char },
    /// A record with more or fewer fields than the header.
    #[error(
        "line {line}: {found} field{} where the header has {expected}; every line needs one value per column (an empty value is written as nothing between two commas)",
        if *found == 1 { "" } else { "s" }
    )]
    FieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    /// Nothing at all, not even a header.
    #[error(
        "the file is empty: it needs a header line naming the columns, then one line per respondent"
    )]
    Empty,
}

/// Reads the whole text into records, the header first. Every record has
/// as many fields as the header.
pub(crate) fn read(text: &str) -> Result<Vec<Record>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while let Some(&first) = chars.peek() {
        // An empty line: no record.
        if first == '\n' {
            chars.next();
            line += 1;
            continue;
        }
        if first == '\r' {
            let mut ahead = chars.clone();
            ahead.next();
            if ahead.peek() == Some(&'\n') {
                chars.next();
                chars.next();
                line += 1;
                continue;
            }
        }
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        loop {
            // At the start of a field.
            if chars.peek() == Some(&'"') {
                chars.next();
                let opened = line;
                loop {
                    match chars.next() {
                        None => return Err(CsvError::UnclosedQuote { line: opened }),
                        Some('"') => {
                            if chars.peek() == Some(&'"') {
                                chars.next();
                                field.push('"');
                            } else {
                                break;
                            }
                        }
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            field.push(c);
                        }
                    }
                }
                match chars.peek() {
                    None | Some(',') | Some('\n') => {}
                    Some('\r') => {
                        let mut ahead = chars.clone();
                        ahead.next();
                        if ahead.peek() != Some(&'\n') {
                            return Err(CsvError::AfterQuote { line, found: '\r' });
                        }
                    }
                    Some(&c) => return Err(CsvError::AfterQuote { line, found: c }),
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == ',' || c == '\n' {
                        break;
                    }
                    if c == '\r' {
                        let mut ahead = chars.clone();
                        ahead.next();
                        if ahead.peek() == Some(&'\n') {
                            break;
                        }
                    }
                    field.push(c);
                    chars.next();
                }
            }
            fields.push(std::mem::take(&mut field));
            // After a field: a comma, a line break or the end.
            match chars.next() {
                Some(',') => continue,
                Some('\r') => {
                    chars.next();
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        records.push(Record {
            line: start,
            fields,
        });
    }
    let Some(header) = records.first() else {
        return Err(CsvError::Empty);
    };
    let expected = header.fields.len();
    if let Some(bad) = records.iter().find(|r| r.fields.len() != expected) {
        return Err(CsvError::FieldCount {
            line: bad.line,
            found: bad.fields.len(),
            expected,
        });
    }
    Ok(records)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(usize, Vec<String>)> {
        read(text)
            .unwrap()
            .into_iter()
            .map(|r| (r.line, r.fields))
            .collect()
    }

    fn rec(line: usize, fields: &[&str]) -> (usize, Vec<String>) {
        (line, fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn rds_csv_reads_quotes_commas_and_line_breaks() {
        let got = fields("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n1,,3");
        assert_eq!(
            got,
            vec![
                rec(1, &["a", "b", "c"]),
                rec(2, &["x, y", "say \"hi\"", "two\nlines"]),
                rec(4, &["1", "", "3"]),
            ]
        );
    }

    #[test]
    fn rds_csv_skips_a_byte_order_mark_and_empty_lines() {
        let got = fields("\u{feff}id,x\n\n1,a\r\n\r\n2,b\n");
        assert_eq!(
            got,
            vec![
                rec(1, &["id", "x"]),
                rec(3, &["1", "a"]),
                rec(5, &["2", "b"])
            ]
        );
    }

    #[test]
    fn rds_csv_keeps_an_empty_last_field_and_a_stray_quote() {
        let got = fields("a,b\n1,\n2,5\"\n");
        assert_eq!(
            got,
            vec![
                rec(1, &["a", "b"]),
                rec(2, &["1", ""]),
                rec(3, &["2", "5\""])
            ]
        );
    }

    #[test]
    fn rds_csv_refuses_malformed_files_naming_the_line() {
        assert_eq!(
            read("a,b\n1,\"open\n2,3\n"),
            Err(CsvError::UnclosedQuote { line: 2 })
        );
        assert_eq!(
            read("a,b\n\"1\"x,2\n"),
            Err(CsvError::AfterQuote {
                line: 2,
                found: 'x'
            })
        );
        assert_eq!(
            read("a,b\n1,2\n3\n"),
            Err(CsvError::FieldCount {
                line: 3,
                found: 1,
                expected: 2
            })
        );
        assert_eq!(read(""), Err(CsvError::Empty));
        assert_eq!(read("\n\n"), Err(CsvError::Empty));
    }
}
