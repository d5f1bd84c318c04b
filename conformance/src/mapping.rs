//! The custom mapping CSV as the contract defines it, read independently of any connector:
//! UTF-8 (BOM allowed), header `mobile_number,mailbox` (any case, spaces trimmed), blank lines
//! ignored, numbers as people write them (normalised to E.164 with CN as the default region).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tm_simulator::normalise_mobile;

/// Mobile (E.164) → mailbox address, as written in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// The entries.
    pub entries: BTreeMap<String, String>,
}

/// A mapping file that is a configuration error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct MappingError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl Mapping {
    /// Reads a mapping file.
    pub fn read(path: &Path) -> Result<Mapping, MappingError> {
        let text = std::fs::read_to_string(path).map_err(|e| MappingError {
            file: path.to_path_buf(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Mapping::parse(&text, path)
    }

    /// Parses mapping text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Mapping, MappingError> {
        let err = |line: usize, message: String| MappingError { file: file.to_path_buf(), line, message };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l)).filter(|(_, l)| !l.trim().is_empty());
        let Some((n, header)) = lines.next() else {
            return Err(err(1, "the file is empty: expected header `mobile_number,mailbox`".into()));
        };
        let columns: Vec<String> = header.split(',').map(|c| c.trim().to_ascii_lowercase()).collect();
        let mobile_col = columns.iter().position(|c| c == "mobile_number").ok_or_else(|| err(n, "no column `mobile_number`".into()))?;
        let mailbox_col = columns.iter().position(|c| c == "mailbox").ok_or_else(|| err(n, "no column `mailbox`".into()))?;
        let mut entries: BTreeMap<String, String> = BTreeMap::new();
        for (n, line) in lines {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let (Some(mobile), Some(mailbox)) = (cells.get(mobile_col), cells.get(mailbox_col)) else {
                return Err(err(n, format!("expected {} columns", columns.len())));
            };
            let Some(e164) = normalise_mobile(mobile) else { return Err(err(n, format!("`{mobile}` is not a mobile number"))) };
            if mailbox.is_empty() {
                return Err(err(n, "empty mailbox".into()));
            }
            match entries.get(&e164) {
                Some(prev) if !mailbox.eq_ignore_ascii_case(prev) => {
                    return Err(err(n, format!("{e164} is mapped to both {prev} and {mailbox}")));
                }
                _ => {
                    entries.insert(e164, mailbox.to_string());
                }
            }
        }
        Ok(Mapping { entries })
    }

    /// The mailbox a mobile (E.164) is mapped to.
    pub fn get(&self, mobile: &str) -> Option<&str> {
        self.entries.get(mobile).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_normalised_and_a_bom_and_blank_lines_are_accepted() {
        let m = Mapping::parse("\u{feff} Mailbox , MOBILE_NUMBER\n\nsales@contoso.cn, +86 138 1234 5678\n", Path::new("m.csv")).unwrap();
        assert_eq!(m.get("+8613812345678"), Some("sales@contoso.cn"));
    }

    #[test]
    fn one_number_mapped_to_two_mailboxes_is_an_error_naming_the_line() {
        let e = Mapping::parse("mobile_number,mailbox\n13812345678,a@x.cn\n138-1234-5678,b@x.cn\n", Path::new("m.csv")).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.to_string().starts_with("m.csv:3:"), "{e}");
    }

    #[test]
    fn a_bad_number_or_a_missing_column_is_an_error() {
        assert_eq!(Mapping::parse("mobile_number,mailbox\n12345,a@x.cn\n", Path::new("m")).unwrap_err().line, 2);
        assert_eq!(Mapping::parse("mobile,mailbox\n", Path::new("m")).unwrap_err().line, 1);
    }
}
