//! The custom mapping CSV: mobile number → mailbox address, with line-numbered errors.
//!
//! Format (contract, "Custom mapping CSV"): UTF-8, an optional BOM, a header row naming the
//! columns `mobile_number` and `mailbox` (case-insensitive, surrounding spaces trimmed, any order,
//! extra columns ignored), blank lines ignored, fields optionally double-quoted (`""` escapes a
//! quote). Numbers are normalised to E.164 through [`MobileNumber`] so that `+86 138 1234 5678`
//! and `138-1234-5678` are the same key.
//!
//! A bad file is a configuration error: every [`MappingError`] names the file and the line (and,
//! for a number mapped to two mailboxes, both lines). The same number mapped twice to the same
//! mailbox (compared case-insensitively) is harmless and accepted.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::mobile::{MobileNumber, Region};

/// A mailbox address as written in the mapping file (trimmed, original case kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedMailbox {
    /// The address to look up in the tenant directory.
    pub address: String,
    /// The 1-based line of the file that maps to it (first occurrence).
    pub line: usize,
}

/// The parsed mapping: E.164 number → mailbox address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    entries: HashMap<MobileNumber, MappedMailbox>,
}

/// A mapping file that cannot be used; a configuration error.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {kind}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct MappingError {
    /// The mapping file.
    pub file: PathBuf,
    /// The 1-based line the error is on, when it is about one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: MappingErrorKind,
}

/// What is wrong with a mapping file.
#[derive(Debug, thiserror::Error)]
pub enum MappingErrorKind {
    /// The file cannot be read.
    #[error("cannot read the mapping file: {0}")]
    Io(#[source] std::io::Error),
    /// The file is not UTF-8.
    #[error("the mapping file is not UTF-8")]
    NotUtf8,
    /// No header row at all.
    #[error("the mapping file is empty: expected a header row `mobile_number,mailbox`")]
    MissingHeader,
    /// The header lacks a required column.
    #[error("the header has no `{0}` column (expected `mobile_number,mailbox`)")]
    MissingColumn(&'static str),
    /// A column name appears twice in the header.
    #[error("the header names column `{0}` twice")]
    DuplicateColumn(&'static str),
    /// A data row has too few fields.
    #[error("expected a `{0}` field, the row has only {1} field(s)")]
    MissingField(&'static str, usize),
    /// A quoted field is not closed on its line.
    #[error("unterminated quoted field")]
    UnterminatedQuote,
    /// The number cannot be parsed.
    #[error("bad mobile number: {0}")]
    BadNumber(#[source] crate::mobile::MobileError),
    /// The mailbox field is empty or not an address.
    #[error("bad mailbox `{0}`: expected an address like user@example.com")]
    BadMailbox(String),
    /// One number mapped to two different mailboxes.
    #[error("{0}")]
    Conflict(Box<Conflict>),
}

/// One number mapped to two different mailboxes.
#[derive(Debug, thiserror::Error)]
#[error("number {number} is mapped to `{first}` on line {first_line} and to `{second}` on line {second_line}")]
pub struct Conflict {
    /// The normalised number.
    pub number: MobileNumber,
    /// The first mailbox.
    pub first: String,
    /// Its line.
    pub first_line: usize,
    /// The second, different mailbox.
    pub second: String,
    /// Its line.
    pub second_line: usize,
}

impl Mapping {
    /// An empty mapping (no `MAPPING_CSV`).
    pub fn empty() -> Mapping {
        Mapping::default()
    }

    /// Reads and parses a mapping file.
    pub fn from_path(path: &Path, region: Region) -> Result<Mapping, MappingError> {
        let bytes = std::fs::read(path).map_err(|e| MappingError { file: path.to_owned(), line: None, kind: MappingErrorKind::Io(e) })?;
        let text =
            String::from_utf8(bytes).map_err(|_| MappingError { file: path.to_owned(), line: None, kind: MappingErrorKind::NotUtf8 })?;
        Mapping::parse(&text, path, region)
    }

    /// Parses mapping text; `file` is only used to name the file in errors.
    pub fn parse(text: &str, file: &Path, region: Region) -> Result<Mapping, MappingError> {
        let err = |line: usize, kind| MappingError { file: file.to_owned(), line: Some(line), kind };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.trim().is_empty());

        let Some((header_line, header)) = lines.next() else {
            return Err(MappingError { file: file.to_owned(), line: None, kind: MappingErrorKind::MissingHeader });
        };
        let columns = split_fields(header).map_err(|k| err(header_line, k))?;
        let mut number_col = None;
        let mut mailbox_col = None;
        for (i, name) in columns.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let (slot, label) = match name.as_str() {
                "mobile_number" => (&mut number_col, "mobile_number"),
                "mailbox" => (&mut mailbox_col, "mailbox"),
                _ => continue,
            };
            if slot.replace(i).is_some() {
                return Err(err(header_line, MappingErrorKind::DuplicateColumn(label)));
            }
        }
        let number_col = number_col.ok_or_else(|| err(header_line, MappingErrorKind::MissingColumn("mobile_number")))?;
        let mailbox_col = mailbox_col.ok_or_else(|| err(header_line, MappingErrorKind::MissingColumn("mailbox")))?;

        let mut entries: HashMap<MobileNumber, MappedMailbox> = HashMap::new();
        for (line, row) in lines {
            let fields = split_fields(row).map_err(|k| err(line, k))?;
            let field = |col: usize, label: &'static str| {
                fields.get(col).map(|f| f.trim()).ok_or_else(|| err(line, MappingErrorKind::MissingField(label, fields.len())))
            };
            let number_text = field(number_col, "mobile_number")?;
            let mailbox = field(mailbox_col, "mailbox")?;
            let number = MobileNumber::parse(number_text, region).map_err(|e| err(line, MappingErrorKind::BadNumber(e)))?;
            if !is_plausible_address(mailbox) {
                return Err(err(line, MappingErrorKind::BadMailbox(mailbox.to_owned())));
            }
            match entries.get(&number) {
                Some(existing) if existing.address.eq_ignore_ascii_case(mailbox) => {}
                Some(existing) => {
                    return Err(err(
                        line,
                        MappingErrorKind::Conflict(Box::new(Conflict {
                            number,
                            first: existing.address.clone(),
                            first_line: existing.line,
                            second: mailbox.to_owned(),
                            second_line: line,
                        })),
                    ));
                }
                None => {
                    entries.insert(number, MappedMailbox { address: mailbox.to_owned(), line });
                }
            }
        }
        Ok(Mapping { entries })
    }

    /// The mailbox a number is mapped to, if any.
    pub fn get(&self, number: &MobileNumber) -> Option<&MappedMailbox> {
        self.entries.get(number)
    }

    /// Adds or replaces one entry (for tests and programmatic use).
    pub fn insert(&mut self, number: MobileNumber, address: impl Into<String>) {
        self.entries.insert(number, MappedMailbox { address: address.into(), line: 0 });
    }

    /// How many numbers are mapped.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Display for Mapping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} mapped number(s)", self.entries.len())
    }
}

/// One non-empty local part, one `@`, one non-empty domain, no spaces.
fn is_plausible_address(text: &str) -> bool {
    match text.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !text.chars().any(char::is_whitespace),
        None => false,
    }
}

/// Splits one CSV line into fields (RFC 4180 quoting, no multi-line fields).
fn split_fields(line: &str) -> Result<Vec<String>, MappingErrorKind> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut quoted_field = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
        } else {
            match c {
                ',' => {
                    fields.push(std::mem::take(&mut field));
                    quoted_field = false;
                }
                '"' if !quoted_field && field.trim().is_empty() => {
                    field.clear();
                    in_quotes = true;
                    quoted_field = true;
                }
                _ => field.push(c),
            }
        }
    }
    if in_quotes {
        return Err(MappingErrorKind::UnterminatedQuote);
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::{QuickCheck, TestResult};

    fn parse(text: &str) -> Result<Mapping, MappingError> {
        Mapping::parse(text, Path::new("map.csv"), Region::CN)
    }

    fn num(text: &str) -> MobileNumber {
        MobileNumber::parse(text, Region::CN).unwrap()
    }

    #[test]
    fn a_plain_file_maps_numbers_in_any_written_form_to_mailboxes() {
        let m = parse("mobile_number,mailbox\n+86 138 1234 5678,wang.wei@contoso.cn\n139-0000-1111,li.na@contoso.cn\n").unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&num("8613812345678")).unwrap().address, "wang.wei@contoso.cn");
        assert_eq!(m.get(&num("+8613900001111")).unwrap().line, 3);
    }

    #[test]
    fn bom_header_case_spaces_crlf_and_blank_lines_are_accepted() {
        let m = parse("\u{feff} Mobile_Number , MAILBOX \r\n\r\n  \r\n0086 138 1234 5678 , boss@contoso.cn \r\n\r\n").unwrap();
        assert_eq!(m.get(&num("13812345678")).unwrap().address, "boss@contoso.cn");
        assert_eq!(m.get(&num("13812345678")).unwrap().line, 4);
    }

    #[test]
    fn columns_may_come_in_any_order_with_extra_columns_and_quotes() {
        let m = parse("note,mailbox,mobile_number\n\"Wang, Wei\",\"wang.wei@contoso.cn\",\"+86 138 1234 5678\"\n").unwrap();
        assert_eq!(m.get(&num("13812345678")).unwrap().address, "wang.wei@contoso.cn");
    }

    #[test]
    fn a_header_only_file_is_an_empty_mapping() {
        assert!(parse("mobile_number,mailbox\n").unwrap().is_empty());
    }

    #[test]
    fn an_empty_file_is_an_error() {
        let e = parse("\u{feff}\n\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::MissingHeader));
        assert!(e.to_string().starts_with("map.csv: "), "{e}");
    }

    #[test]
    fn a_missing_column_names_the_file_and_header_line() {
        let e = parse("\nmobile,mailbox\n+8613812345678,a@b.c\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::MissingColumn("mobile_number")));
        assert_eq!(e.line, Some(2));
        assert!(e.to_string().starts_with("map.csv:2: "), "{e}");
        let e = parse("mobile_number\n+8613812345678\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::MissingColumn("mailbox")));
    }

    #[test]
    fn a_short_row_names_its_line() {
        let e = parse("mobile_number,mailbox\n+8613812345678,a@b.c\n+8613900001111\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::MissingField("mailbox", 1)));
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn a_bad_number_names_the_file_and_line() {
        let e = parse("mobile_number,mailbox\n+8613812345678,a@b.c\n\nnot-a-number,b@b.c\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::BadNumber(_)));
        let text = e.to_string();
        assert!(text.starts_with("map.csv:4: bad mobile number"), "{text}");
        assert!(text.contains("not-a-number"), "{text}");
    }

    #[test]
    fn a_bad_mailbox_names_its_line() {
        let e = parse("mobile_number,mailbox\n+8613812345678,\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::BadMailbox(_)));
        assert_eq!(e.line, Some(2));
        let e = parse("mobile_number,mailbox\n+8613812345678,nobody\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::BadMailbox(_)));
    }

    #[test]
    fn one_number_mapped_to_two_mailboxes_names_both_lines() {
        let e = parse("mobile_number,mailbox\n+86 138 1234 5678,a@contoso.cn\n+8613900001111,c@contoso.cn\n138-1234-5678,b@contoso.cn\n")
            .unwrap_err();
        let text = e.to_string();
        assert_eq!(e.line, Some(4));
        assert!(text.contains("line 2") && text.contains("line 4"), "{text}");
        assert!(text.contains("a@contoso.cn") && text.contains("b@contoso.cn"), "{text}");
        assert!(text.contains("+8613812345678"), "{text}");
    }

    #[test]
    fn the_same_number_mapped_twice_to_the_same_mailbox_is_fine() {
        let m = parse("mobile_number,mailbox\n+86 138 1234 5678,a@contoso.cn\n8613812345678,A@Contoso.CN\n").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&num("13812345678")).unwrap().line, 2);
    }

    #[test]
    fn an_unterminated_quote_names_its_line() {
        let e = parse("mobile_number,mailbox\n\"+8613812345678,a@b.c\n").unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::UnterminatedQuote));
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn reading_a_missing_file_names_it() {
        let e = Mapping::from_path(Path::new("/nonexistent/map.csv"), Region::CN).unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/map.csv: cannot read"), "{e}");
    }

    /// Property: however a Chinese mobile is written in the file, the mapping finds it by any
    /// other way of writing it.
    #[test]
    fn property_written_forms_of_one_number_are_one_key() {
        fn prop(subscriber: u32, form_a: u8, form_b: u8) -> TestResult {
            let national = format!("138{:08}", subscriber % 100_000_000);
            let write = |form: u8| match form % 5 {
                0 => format!("+86 {} {} {}", &national[..3], &national[3..7], &national[7..]),
                1 => format!("86{national}"),
                2 => format!("{}-{}-{}", &national[..3], &national[3..7], &national[7..]),
                3 => format!("0086{national}"),
                _ => national.clone(),
            };
            let text = format!("mobile_number,mailbox\n{},x@contoso.cn\n", write(form_a));
            let mapping = parse(&text).unwrap();
            let key = MobileNumber::parse(&write(form_b), Region::CN).unwrap();
            TestResult::from_bool(
                mapping.get(&key).map(|m| m.address.as_str()) == Some("x@contoso.cn") && key.as_str() == format!("+86{national}"),
            )
        }
        QuickCheck::new().tests(300).quickcheck(prop as fn(u32, u8, u8) -> TestResult);
    }
}
