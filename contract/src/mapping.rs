//! The custom mapping CSV: mobile number → mailbox address, with line-numbered errors.
//!
//! Format (contract, "Custom mapping CSV"): RFC 4180 as spreadsheets export it, read by the `csv`
//! crate: UTF-8, an optional BOM, CRLF or LF, fields optionally double-quoted (embedded commas,
//! quotes as `""`), blank lines ignored. A header row names the columns `mobile_number` and
//! `mailbox` (case-insensitive, surrounding spaces trimmed, any order, extra columns ignored).
//! Numbers are normalised to E.164 through [`MobileNumber`] so that `+86 138 1234 5678` and
//! `138-1234-5678` are the same key; mailboxes are [`MailboxAddress`]es.
//!
//! A bad file is a configuration error: every [`MappingError`] names the file and the line (the
//! reader's position; for a number mapped to two mailboxes, both lines). The same number mapped
//! twice to the same mailbox (compared case-insensitively) is harmless and accepted. The
//! connector and the conformance suite's oracle read mappings through this one reader.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::address::MailboxAddress;
use crate::mobile::{MobileError, MobileNumber, Region};

/// A mailbox address as written in the mapping file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedMailbox {
    /// The address to look up in the tenant directory.
    pub address: MailboxAddress,
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
    /// A quoted field runs over a line break: most likely a quote left open.
    #[error("a quoted field runs across lines (a quote left open?)")]
    UnterminatedQuote,
    /// The number cannot be parsed.
    #[error("bad mobile number: {0}")]
    BadNumber(#[source] MobileError),
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
    pub first: MailboxAddress,
    /// Its line.
    pub first_line: usize,
    /// The second, different mailbox.
    pub second: MailboxAddress,
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
        Mapping::parse_bytes(&bytes, path, region)
    }

    /// Parses mapping text; `file` is only used to name the file in errors.
    pub fn parse(text: &str, file: &Path, region: Region) -> Result<Mapping, MappingError> {
        Mapping::parse_bytes(text.as_bytes(), file, region)
    }

    /// Parses mapping bytes; `file` is only used to name the file in errors.
    pub fn parse_bytes(bytes: &[u8], file: &Path, region: Region) -> Result<Mapping, MappingError> {
        let err = |line: Option<usize>, kind| MappingError { file: file.to_owned(), line, kind };
        // The csv reader strips a BOM, understands quotes and CRLF, and skips empty lines; rows may
        // have any number of fields (extra columns are ignored, missing ones reported). Fields
        // are trimmed here, not by the reader, so that a quote left open is still seen.
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut rows = reader.records().filter(|r| !matches!(r, Ok(rec) if rec.iter().all(|f| f.trim().is_empty())));
        // The reader's positions point before the blank lines it skipped, and its line numbers
        // do not count them: a record's line is counted here from its offset, past those blank
        // lines (in order, so in one pass over the file).
        let mut counted = (0usize, 1usize);
        let mut line_at = |byte: u64| {
            let mut byte = (byte as usize).min(bytes.len());
            while byte < bytes.len() && matches!(bytes[byte], b'\r' | b'\n') {
                byte += 1;
            }
            let (from, line) = counted;
            let line = line + bytes[from.min(byte)..byte].iter().filter(|b| **b == b'\n').count();
            counted = (byte.max(from), line);
            line
        };
        let mut next =
            |rows: &mut dyn Iterator<Item = csv::Result<csv::StringRecord>>| -> Result<Option<(usize, csv::StringRecord)>, MappingError> {
                match rows.next() {
                    None => Ok(None),
                    Some(Err(e)) => {
                        let line = e.position().map(|p| line_at(p.byte()));
                        Err(match e.kind() {
                            csv::ErrorKind::Utf8 { .. } => err(line, MappingErrorKind::NotUtf8),
                            csv::ErrorKind::Io(io) => err(None, MappingErrorKind::Io(std::io::Error::new(io.kind(), io.to_string()))),
                            _ => err(line, MappingErrorKind::UnterminatedQuote),
                        })
                    }
                    Some(Ok(rec)) => {
                        let line = rec.position().map_or(0, |p| line_at(p.byte()));
                        if rec.iter().any(|f| f.contains(['\n', '\r'])) {
                            return Err(err(Some(line), MappingErrorKind::UnterminatedQuote));
                        }
                        Ok(Some((line, rec)))
                    }
                }
            };

        let Some((header_line, header)) = next(&mut rows)? else {
            return Err(err(None, MappingErrorKind::MissingHeader));
        };
        let (number_col, mailbox_col) = columns(&header).map_err(|kind| err(Some(header_line), kind))?;

        let mut entries: HashMap<MobileNumber, MappedMailbox> = HashMap::new();
        while let Some((line, row)) = next(&mut rows)? {
            let field = |col: usize, label: &'static str| {
                row.get(col).map(str::trim).ok_or_else(|| err(Some(line), MappingErrorKind::MissingField(label, row.len())))
            };
            let number_text = field(number_col, "mobile_number")?;
            let mailbox_text = field(mailbox_col, "mailbox")?;
            let number = MobileNumber::parse(number_text, region).map_err(|e| err(Some(line), MappingErrorKind::BadNumber(e)))?;
            let mailbox =
                MailboxAddress::parse(mailbox_text).map_err(|_| err(Some(line), MappingErrorKind::BadMailbox(mailbox_text.to_owned())))?;
            match entries.get(&number) {
                Some(existing) if existing.address == mailbox => {}
                Some(existing) => {
                    return Err(err(
                        Some(line),
                        MappingErrorKind::Conflict(Box::new(Conflict {
                            number,
                            first: existing.address.clone(),
                            first_line: existing.line,
                            second: mailbox,
                            second_line: line,
                        })),
                    ));
                }
                None => {
                    entries.insert(number, MappedMailbox { address: mailbox, line });
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
    pub fn insert(&mut self, number: MobileNumber, address: MailboxAddress) {
        self.entries.insert(number, MappedMailbox { address, line: 0 });
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

/// The positions of the `mobile_number` and `mailbox` columns in a header row (any case,
/// surrounding blanks and a BOM ignored; other columns are ignored).
fn columns(header: &csv::StringRecord) -> Result<(usize, usize), MappingErrorKind> {
    let mut number_col = None;
    let mut mailbox_col = None;
    for (i, name) in header.iter().enumerate() {
        let name = name.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
        let (slot, label) = match name.as_str() {
            "mobile_number" => (&mut number_col, "mobile_number"),
            "mailbox" => (&mut mailbox_col, "mailbox"),
            _ => continue,
        };
        if slot.replace(i).is_some() {
            return Err(MappingErrorKind::DuplicateColumn(label));
        }
    }
    Ok((
        number_col.ok_or(MappingErrorKind::MissingColumn("mobile_number"))?,
        mailbox_col.ok_or(MappingErrorKind::MissingColumn("mailbox"))?,
    ))
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
        assert_eq!(m.get(&num("8613812345678")).unwrap().address.as_str(), "wang.wei@contoso.cn");
        assert_eq!(m.get(&num("+8613900001111")).unwrap().line, 3);
    }

    #[test]
    fn bom_header_case_spaces_crlf_and_blank_lines_are_accepted() {
        let m = parse("\u{feff} Mobile_Number , MAILBOX \r\n\r\n  \r\n0086 138 1234 5678 , boss@contoso.cn \r\n\r\n").unwrap();
        assert_eq!(m.get(&num("13812345678")).unwrap().address.as_str(), "boss@contoso.cn");
        assert_eq!(m.get(&num("13812345678")).unwrap().line, 4);
    }

    #[test]
    fn columns_may_come_in_any_order_with_extra_columns_and_quotes() {
        let m = parse("note,mailbox,mobile_number\n\"Wang, Wei\",\"wang.wei@contoso.cn\",\"+86 138 1234 5678\"\n").unwrap();
        assert_eq!(m.get(&num("13812345678")).unwrap().address.as_str(), "wang.wei@contoso.cn");
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
    fn a_spreadsheet_export_routes_like_the_plain_file() {
        let plain = parse("mobile_number,mailbox\n+86 138 1234 5678,wang.wei@contoso.cn\n139-0000-1111,li.na@contoso.cn\n").unwrap();
        let export = "\u{feff}\"Mobile_Number\",\"Mailbox\",\"Display name\"\r\n\"+86 138 1234 5678\",\"wang.wei@contoso.cn\",\"Wang, Wei\"\r\n\r\n\"139-0000-1111\",\"li.na@contoso.cn\",\"Li \"\"Nana\"\" Na\"\r\n";
        let m = parse(export).unwrap();
        assert_eq!(m.len(), plain.len());
        for n in ["13812345678", "13900001111"] {
            assert_eq!(m.get(&num(n)).unwrap().address, plain.get(&num(n)).unwrap().address);
        }
        assert_eq!(m.get(&num("13900001111")).unwrap().line, 4);
    }

    #[test]
    fn a_file_that_is_not_utf8_names_its_line() {
        let e = Mapping::parse_bytes(b"mobile_number,mailbox\n+8613812345678,wang\xff@contoso.cn\n", Path::new("map.csv"), Region::CN)
            .unwrap_err();
        assert!(matches!(e.kind, MappingErrorKind::NotUtf8), "{e}");
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
