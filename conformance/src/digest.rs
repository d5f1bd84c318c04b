//! The digest: what a tenant holds after a scenario's runs (mailbox → folder → item ids, sorted)
//! and the failures the run reports named (reason → item ids), rendered as a small YAML document
//! that is the body of the scenario's snapshot in `fixtures/expected/NAME.snap`.
//!
//! ```yaml
//! tenant:
//!   wang.wei@contoso.cn:
//!     WeChat Archiver:
//!       - S0001  # chat 2026-11-20T10:00:00Z from wang-wei to li-na
//! failures:
//!   user_mapping:
//!     - S0002  # chat 2026-11-20T11:00:00Z from ext-a to ext-b
//! ```
//!
//! Only mailboxes that changed are listed, and in them the folders that are new or hold items.
//! Comments describe items from the archive and are ignored when a snapshot is read back.
//! `failures: none` means the connector wrote no report: only the tenant is then compared.
//!
//! A snapshot file is insta's format: a header between `---` lines, then this body. The CLI reads
//! it directly (vendors have no `cargo insta`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use tm_contract::{address_key, same_address};
use tm_simulator::MailboxView;

use crate::oracle::ArchiveFacts;

/// Placeholder for a message that carries no ArchiveMessageID.
pub const NO_ID: &str = "(no ArchiveMessageID)";

/// Mailbox → folder → item ids.
pub type Tenant = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The tenant and the reported failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digest {
    /// Mailbox (lowercase primary address) → folder → item ids (sorted, repeated when imported twice).
    pub tenant: Tenant,
    /// Reason → item ids; `None` when no run wrote a report.
    pub failures: Option<BTreeMap<String, BTreeSet<String>>>,
}

/// A snapshot file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// I/O.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not a snapshot of this format.
    #[error("{path}:{line}: {message}")]
    Format {
        /// The file.
        path: String,
        /// 1-based line in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl Digest {
    /// The digest of a tenant: `initial` as the simulator started, `now` after the runs.
    pub fn of_tenant(initial: &[MailboxView], now: &[MailboxView]) -> Tenant {
        let mut tenant = Tenant::new();
        for mailbox in now {
            let before = initial.iter().find(|m| same_address(&m.address, &mailbox.address));
            for folder in &mailbox.folders {
                let existed = before.is_some_and(|b| b.folders.iter().any(|f| f.name == folder.name));
                // Messages another program wrote (FOREIGN-WRITES) are not the connector's.
                let ids: Vec<String> =
                    folder.items.iter().filter(|i| !i.foreign).map(|i| i.id.clone().unwrap_or_else(|| NO_ID.to_string())).collect();
                if existed && ids.is_empty() {
                    continue;
                }
                tenant.entry(address_key(&mailbox.address)).or_default().insert(folder.name.clone(), ids);
            }
        }
        let mut d = Digest { tenant, failures: None };
        d.normalise();
        d.tenant
    }

    /// Sorts item ids (byte order) and lowercases mailbox keys.
    pub fn normalise(&mut self) {
        let tenant = std::mem::take(&mut self.tenant);
        for (mailbox, folders) in tenant {
            let entry = self.tenant.entry(address_key(&mailbox)).or_default();
            for (folder, mut ids) in folders {
                ids.sort();
                entry.entry(folder).or_default().extend(ids);
            }
        }
        for folders in self.tenant.values_mut() {
            for ids in folders.values_mut() {
                ids.sort();
            }
        }
    }

    /// Every (mailbox, item id) the tenant holds, with how many times, across folders.
    pub fn deliveries(&self) -> BTreeMap<(String, String), usize> {
        let mut out = BTreeMap::new();
        for (mailbox, folders) in &self.tenant {
            for ids in folders.values() {
                for id in ids {
                    *out.entry((mailbox.clone(), id.clone())).or_insert(0) += 1;
                }
            }
        }
        out
    }

    /// The `tenant:` section as YAML.
    pub fn render_tenant(&self, facts: Option<&ArchiveFacts>) -> String {
        let mut out = String::new();
        if self.tenant.is_empty() {
            out.push_str("tenant: {}\n");
            return out;
        }
        out.push_str("tenant:\n");
        for (mailbox, folders) in &self.tenant {
            let _ = writeln!(out, "  {}:", scalar(mailbox));
            for (folder, ids) in folders {
                if ids.is_empty() {
                    let _ = writeln!(out, "    {}: []", scalar(folder));
                    continue;
                }
                let _ = writeln!(out, "    {}:", scalar(folder));
                for id in ids {
                    item_line(&mut out, "      ", id, facts);
                }
            }
        }
        out
    }

    /// The `failures:` section as YAML.
    pub fn render_failures(&self, facts: Option<&ArchiveFacts>) -> String {
        let mut out = String::new();
        match &self.failures {
            None => out.push_str("failures: none  # no run report was written\n"),
            Some(f) if f.is_empty() => out.push_str("failures: {}\n"),
            Some(f) => {
                out.push_str("failures:\n");
                for (reason, ids) in f {
                    let _ = writeln!(out, "  {}:", scalar(reason));
                    for id in ids {
                        item_line(&mut out, "    ", id, facts);
                    }
                }
            }
        }
        out
    }

    /// The whole digest as YAML (the snapshot body).
    pub fn render(&self, facts: Option<&ArchiveFacts>) -> String {
        format!("{}{}", self.render_tenant(facts), self.render_failures(facts))
    }

    /// Parses a rendered digest (comments ignored).
    pub fn parse(body: &str) -> Result<Digest, (usize, String)> {
        let mut digest = Digest::default();
        let mut section = "";
        let mut mailbox: Option<String> = None;
        let mut folder: Option<String> = None;
        let mut reason: Option<String> = None;
        for (n, raw) in body.lines().enumerate() {
            let n = n + 1;
            let line = strip_comment(raw);
            if line.trim().is_empty() {
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            let text = line.trim();
            let bad = |m: &str| Err((n, format!("{m}: `{raw}`")));
            match (indent, text) {
                (0, "tenant: {}") | (0, "tenant:") => section = "tenant",
                (0, "failures: none") => {
                    section = "none";
                    digest.failures = None;
                }
                (0, "failures: {}") | (0, "failures:") => {
                    section = "failures";
                    digest.failures = Some(BTreeMap::new());
                }
                (0, _) => return bad("expected `tenant:` or `failures:`"),
                (2, t) if section == "tenant" && t.ends_with(':') => {
                    let key = unscalar(&t[..t.len() - 1]).map_err(|e| (n, e))?;
                    digest.tenant.entry(address_key(&key)).or_default();
                    mailbox = Some(address_key(&key));
                    folder = None;
                }
                (4, t) if section == "tenant" && mailbox.is_some() => {
                    let (key, empty) = match t.strip_suffix(": []") {
                        Some(k) => (k, true),
                        None => match t.strip_suffix(':') {
                            Some(k) => (k, false),
                            None => return bad("expected `folder:` or `folder: []`"),
                        },
                    };
                    let key = unscalar(key).map_err(|e| (n, e))?;
                    let m = mailbox.clone().expect("checked");
                    digest.tenant.entry(m).or_default().entry(key.clone()).or_default();
                    folder = (!empty).then_some(key);
                }
                (6, t) if section == "tenant" && folder.is_some() && t.starts_with("- ") => {
                    let id = unscalar(t[2..].trim()).map_err(|e| (n, e))?;
                    let (m, f) = (mailbox.clone().expect("set"), folder.clone().expect("set"));
                    digest.tenant.entry(m).or_default().entry(f).or_default().push(id);
                }
                (2, t) if section == "failures" && t.ends_with(':') => {
                    let key = unscalar(&t[..t.len() - 1]).map_err(|e| (n, e))?;
                    digest.failures.as_mut().expect("set").entry(key.clone()).or_default();
                    reason = Some(key);
                }
                (4, t) if section == "failures" && reason.is_some() && t.starts_with("- ") => {
                    let id = unscalar(t[2..].trim()).map_err(|e| (n, e))?;
                    digest.failures.as_mut().expect("set").entry(reason.clone().expect("set")).or_default().insert(id);
                }
                _ => return bad("unexpected line"),
            }
        }
        digest.normalise();
        Ok(digest)
    }
}

fn item_line(out: &mut String, indent: &str, id: &str, facts: Option<&ArchiveFacts>) {
    match facts.and_then(|f| f.get(id)) {
        Some(item) => {
            let _ = writeln!(out, "{indent}- {}  # {}", scalar(id), item.label);
        }
        None => {
            let _ = writeln!(out, "{indent}- {}", scalar(id));
        }
    }
}

/// A YAML scalar: plain when safe, else JSON-quoted (valid YAML double-quoted).
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || " ._@+-".contains(c))
        && !s.ends_with(' ')
        && !s.contains("  ")
        && !matches!(s.to_ascii_lowercase().as_str(), "null" | "true" | "false" | "yes" | "no" | "none" | "on" | "off");
    if plain { s.to_string() } else { serde_json::to_string(s).expect("a string serialises") }
}

fn unscalar(s: &str) -> Result<String, String> {
    if s.starts_with('"') { serde_json::from_str(s).map_err(|e| format!("bad quoted scalar {s}: {e}")) } else { Ok(s.to_string()) }
}

/// The line without a trailing `#` comment (outside quotes).
fn strip_comment(line: &str) -> &str {
    let mut quoted = false;
    let mut escaped = false;
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if quoted => escaped = !escaped,
            '"' if !escaped => quoted = !quoted,
            '#' if !quoted && prev_space => return line[..i].trim_end(),
            _ => escaped = false,
        }
        prev_space = c == ' ';
    }
    line.trim_end()
}

/// A snapshot file: its header lines and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The header between the `---` lines (insta metadata).
    pub header: String,
    /// The body: the rendered digest.
    pub body: String,
}

impl Snapshot {
    /// Reads an insta `.snap` file.
    pub fn read(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|source| SnapshotError::Io { path: path.display().to_string(), source })?;
        Snapshot::parse(&text).map_err(|(line, message)| SnapshotError::Format { path: path.display().to_string(), line, message })
    }

    /// Parses snapshot text: `---`, header, `---`, body.
    pub fn parse(text: &str) -> Result<Snapshot, (usize, String)> {
        let mut lines = text.lines();
        if lines.next().map(str::trim_end) != Some("---") {
            return Err((1, "a snapshot starts with `---`".into()));
        }
        let mut header = String::new();
        let mut n = 1;
        loop {
            n += 1;
            match lines.next() {
                None => return Err((n, "the header has no closing `---`".into())),
                Some(l) if l.trim_end() == "---" => break,
                Some(l) => {
                    header.push_str(l);
                    header.push('\n');
                }
            }
        }
        let body: Vec<&str> = lines.collect();
        Ok(Snapshot { header, body: body.join("\n") })
    }

    /// The body as a digest.
    pub fn digest(&self) -> Result<Digest, (usize, String)> {
        Digest::parse(&self.body)
    }
}

/// Text equality as insta compares file snapshots: line by line, trailing whitespace and trailing
/// blank lines ignored.
pub fn same_text(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.lines().map(str::trim_end).collect::<Vec<_>>().join("\n").trim_end().to_string();
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Digest {
        let mut tenant = Tenant::new();
        tenant.entry("a@x.cn".into()).or_default().insert("WeChat Archiver".into(), vec!["S2".into(), "S1".into()]);
        tenant.entry("b@x.cn".into()).or_default().insert("odd: name #1".into(), vec![]);
        let failures = BTreeMap::from([("user_mapping".to_string(), BTreeSet::from(["S3".to_string()]))]);
        let mut d = Digest { tenant, failures: Some(failures) };
        d.normalise();
        d
    }

    #[test]
    fn a_rendered_digest_parses_back_to_itself() {
        let d = sample();
        let text = d.render(None);
        assert_eq!(Digest::parse(&text).unwrap(), d, "{text}");
        assert!(text.contains("    \"odd: name #1\": []"), "{text}");
        let none = Digest { failures: None, ..d };
        assert_eq!(Digest::parse(&none.render(None)).unwrap(), none);
    }

    #[test]
    fn comments_are_ignored_and_a_snapshot_header_is_split_off() {
        let snap = "---\nsource: x\nexpression: y\n---\ntenant:\n  a@x.cn:\n    WeChat Archiver:\n      - S1  # chat\nfailures: {}\n";
        let s = Snapshot::parse(snap).unwrap();
        assert_eq!(s.header, "source: x\nexpression: y\n");
        let d = s.digest().unwrap();
        assert_eq!(d.tenant["a@x.cn"]["WeChat Archiver"], vec!["S1".to_string()]);
        assert_eq!(d.failures, Some(BTreeMap::new()));
    }

    #[test]
    fn a_malformed_body_names_the_line() {
        let (line, _) = Digest::parse("tenant:\n  a@x.cn:\n   - S1\n").unwrap_err();
        assert_eq!(line, 3);
    }
}
