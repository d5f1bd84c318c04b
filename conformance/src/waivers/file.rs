//! The waiver file (`--expect-failures FILE`): TOML (`.toml`) or JSON (`.json`), one document in
//! either syntax, a list `waiver` of entries with `rule`, optional `scenario`, `reason`, optional
//! `expires`. Reading is strict: an unknown rule, an empty reason, a date that is no
//! `YYYY-MM-DD`, an unknown field are errors naming the file, line and column (the format's own
//! position); an unknown scenario or an entry given twice names the file, the entry (1-based)
//! and the field.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::Waiver;
use crate::requirements::Rule;

/// Why a waiver file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WaiverError {
    /// The file cannot be read.
    #[error("cannot read waivers {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Neither `.toml` nor `.json`.
    #[error("waivers {path}: the file name must end in .toml or .json")]
    Extension {
        /// The file.
        path: String,
    },
    /// `TM_CONFORMANCE_TODAY` (`--today`) is no day.
    #[error("{0}")]
    Today(String),
    /// Not a waiver file, or an entry is invalid.
    #[error("waivers {path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong and where (line and column, or entry and field).
        message: String,
    },
}

/// A file's syntax, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `.toml`: `[[waiver]]` tables.
    Toml,
    /// `.json`: `{"waiver": [ ... ]}`.
    Json,
}

impl Syntax {
    /// The syntax of a file name, if it ends in `.toml` or `.json`.
    pub fn of(path: &Path) -> Option<Syntax> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Some(Syntax::Toml),
            Some("json") => Some(Syntax::Json),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    waiver: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    rule: RuleId,
    #[serde(default)]
    scenario: Option<String>,
    reason: Reason,
    #[serde(default)]
    expires: Option<Day>,
}

/// A rule ID, checked while reading (so the error has the format's position).
struct RuleId(Rule);

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let id = String::deserialize(d)?;
        Rule::from_id(&id).map(RuleId).ok_or_else(|| {
            let known: Vec<&str> = Rule::all().iter().map(|r| r.id()).collect();
            de::Error::custom(format!("unknown rule `{id}` (known: {})", known.join(", ")))
        })
    }
}

/// A reason that says something.
struct Reason(String);

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.trim().is_empty() {
            return Err(de::Error::custom("`reason` is empty: say why the failure is accepted (an issue, a date)"));
        }
        Ok(Reason(text.trim().to_string()))
    }
}

/// A day: the string `YYYY-MM-DD`, or TOML's local date (`expires = 2027-01-31`).
struct Day(NaiveDate);

/// A day of its text, exactly `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let well_formed =
        text.len() == 10 && text.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    let day = if well_formed { NaiveDate::parse_from_str(text, "%Y-%m-%d").ok() } else { None };
    day.ok_or_else(|| format!("`{text}` is no date YYYY-MM-DD"))
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct DayVisitor;
        impl<'de> Visitor<'de> for DayVisitor {
            type Value = Day;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date YYYY-MM-DD")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Day, E> {
                parse_day(s).map(Day).map_err(|m| E::custom(format!("`expires`: {m}")))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Day, A::Error> {
                // TOML's own date value: a local date, no time, no offset.
                let dt = toml::value::Datetime::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (dt.date, dt.time, dt.offset) {
                    (Some(date), None, None) => self.visit_str(&date.to_string()),
                    _ => Err(de::Error::custom(format!("`expires`: `{dt}` is no date YYYY-MM-DD (a day, no time)"))),
                }
            }
        }
        d.deserialize_any(DayVisitor)
    }
}

/// Reads a waiver file; `scenarios` are the fixture's scenario names an entry may name.
pub fn read_file(path: &Path, scenarios: &BTreeSet<String>) -> Result<Vec<Waiver>, WaiverError> {
    let name = path.display().to_string();
    let syntax = Syntax::of(path).ok_or_else(|| WaiverError::Extension { path: name.clone() })?;
    let text = std::fs::read_to_string(path).map_err(|source| WaiverError::Io { path: name.clone(), source })?;
    parse(&text, syntax, scenarios).map_err(|message| WaiverError::Invalid { path: name, message })
}

/// Reads a waiver document from its text; the error says what and where.
pub fn parse(text: &str, syntax: Syntax, scenarios: &BTreeSet<String>) -> Result<Vec<Waiver>, String> {
    let raw: RawFile = match syntax {
        Syntax::Toml => toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())?,
        Syntax::Json => serde_json::from_str(text).map_err(|e| e.to_string())?,
    };
    let mut out: Vec<Waiver> = Vec::with_capacity(raw.waiver.len());
    for (i, e) in raw.waiver.into_iter().enumerate() {
        let entry = i + 1;
        if let Some(s) = &e.scenario
            && !scenarios.contains(s)
        {
            return Err(format!(
                "entry {entry} (rule {}), field `scenario`: no scenario `{s}` in the fixtures (try `tm-conformance list`)",
                e.rule.0
            ));
        }
        let w = Waiver { entry, rule: e.rule.0, scenario: e.scenario, reason: e.reason.0, expires: e.expires.map(|d| d.0) };
        if let Some(first) = out.iter().find(|o| o.rule == w.rule && o.scenario == w.scenario) {
            return Err(format!(
                "entry {entry} waives {} again (entry {} already does): one entry per rule and scenario",
                w.what(),
                first.entry
            ));
        }
        out.push(w);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenarios() -> BTreeSet<String> {
        ["folder", "window"].into_iter().map(String::from).collect()
    }

    #[test]
    fn toml_and_json_say_the_same() {
        let toml = r#"
[[waiver]]
rule = "FOLDER"
scenario = "folder"
reason = "issue 31: the folder is renamed"
expires = 2027-01-31

[[waiver]]
rule = "WINDOW"
reason = "  known gap  "
"#;
        let json = r#"{"waiver": [
  {"rule": "FOLDER", "scenario": "folder", "reason": "issue 31: the folder is renamed", "expires": "2027-01-31"},
  {"rule": "WINDOW", "reason": "known gap"}
]}"#;
        let a = parse(toml, Syntax::Toml, &scenarios()).unwrap();
        let b = parse(json, Syntax::Json, &scenarios()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].expires, NaiveDate::from_ymd_opt(2027, 1, 31));
        assert_eq!((a[1].entry, a[1].reason.as_str(), a[1].scenario.as_deref()), (2, "known gap", None));
        assert_eq!(parse("", Syntax::Toml, &scenarios()).unwrap(), vec![]);
        let quoted =
            parse("[[waiver]]\nrule = \"FOLDER\"\nreason = \"x\"\nexpires = \"2027-01-31\"\n", Syntax::Toml, &scenarios()).unwrap();
        assert_eq!(quoted[0].expires, a[0].expires);
    }

    #[test]
    fn errors_name_the_line_or_the_entry_and_field() {
        let e = parse("[[waiver]]\nrule = \"NO-SUCH\"\nreason = \"x\"\n", Syntax::Toml, &scenarios()).unwrap_err();
        assert!(e.contains("line 2") && e.contains("unknown rule `NO-SUCH`") && e.contains("FOLDER"), "{e}");
        let e = parse("{\"waiver\": [\n {\"rule\": \"FOLDER\",\n  \"reason\": \" \"}]}", Syntax::Json, &scenarios()).unwrap_err();
        assert!(e.contains("line 3") && e.contains("`reason` is empty"), "{e}");
        let e = parse("[[waiver]]\nrule = \"FOLDER\"\n", Syntax::Toml, &scenarios()).unwrap_err();
        assert!(e.contains("missing field `reason`"), "{e}");
        let e = parse("[[waiver]]\nrule = \"FOLDER\"\nreason = \"x\"\nexpiry = \"2027-01-01\"\n", Syntax::Toml, &scenarios()).unwrap_err();
        assert!(e.contains("line 4") && e.contains("unknown field `expiry`"), "{e}");
        for bad in ["\"2027-1-31\"", "\"2027-02-30\"", "\"soon\"", "2027-01-31T10:00:00Z"] {
            let e = parse(&format!("[[waiver]]\nrule = \"FOLDER\"\nreason = \"x\"\nexpires = {bad}\n"), Syntax::Toml, &scenarios())
                .unwrap_err();
            assert!(e.contains("line 4") && e.contains("no date YYYY-MM-DD"), "{bad}: {e}");
        }
        let e = parse("[[waiver]]\nrule = \"FOLDER\"\nscenario = \"nope\"\nreason = \"x\"\n", Syntax::Toml, &scenarios()).unwrap_err();
        assert!(e.contains("entry 1 (rule FOLDER), field `scenario`: no scenario `nope`"), "{e}");
        let twice = "[[waiver]]\nrule = \"FOLDER\"\nreason = \"x\"\n[[waiver]]\nrule = \"WINDOW\"\nreason = \"y\"\n[[waiver]]\nrule = \"FOLDER\"\nreason = \"z\"\n";
        let e = parse(twice, Syntax::Toml, &scenarios()).unwrap_err();
        assert!(e.contains("entry 3 waives FOLDER in every scenario again (entry 1 already does)"), "{e}");
    }

    #[test]
    fn the_example_in_the_docs_is_a_valid_waiver_file() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/waivers.example.toml");
        let w = read_file(&path, &scenarios()).unwrap();
        assert_eq!((w.len(), w[0].rule, w[1].scenario.as_deref()), (2, Rule::from_id("FOLDER").unwrap(), None));
    }

    #[test]
    fn the_syntax_is_the_extension() {
        assert_eq!(Syntax::of(Path::new("a/w.toml")), Some(Syntax::Toml));
        assert_eq!(Syntax::of(Path::new("w.json")), Some(Syntax::Json));
        assert_eq!(Syntax::of(Path::new("w.yaml")), None);
        let e = read_file(Path::new("w.yaml"), &scenarios()).unwrap_err().to_string();
        assert!(e.contains("w.yaml") && e.contains(".toml or .json"), "{e}");
    }
}
