//! Scenarios: the TOML model of an organisation, its tenant, its traffic and the connector runs a
//! conformance suite schedules, with loading and validation.
//!
//! Every error names the file, the line and the field, so a scenario author can fix it without
//! reading code. Three parts: `raw` reads the file as written (strict, every value spanned),
//! `validate` checks it section by section (mobiles, ids, group members, item references), and
//! `model` is what comes out, the [`Scenario`] the generator and the servers use.

use std::fmt;
use std::path::Path;

mod model;
mod raw;
mod validate;

pub use model::*;
pub(crate) use validate::generated_external_email;
use validate::parse;

/// The scenario used when none is given: ~200 employees over 3 days.
pub const DEMO_SCENARIO: &str = include_str!("../../../fixtures/scenarios/demo.toml");

/// A scenario that failed to load: which file, where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The scenario file (or the label given for an in-memory text).
    pub file: String,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// The field at fault, as a dotted path (`employee[3].mobile`).
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Which messaging app an account belongs to, and the kind of an archived item: the
/// contract's enums (`wechat`/`wecom`, `chat`...`recall` in scenario files as on the wire).
pub use tm_contract::{Kind, Source as App};

impl Scenario {
    /// A fingerprint of everything that decides the generated people, tenant and items (not the
    /// name, description, credentials, runs or faults): equal fingerprints, equal archives.
    pub fn content_fingerprint(&self) -> String {
        let content = format!(
            "{:?}",
            (
                self.seed,
                self.start,
                &self.organisation,
                &self.employees,
                &self.externals,
                &self.groups,
                self.tenant_from_employees,
                &self.tenant_users,
                &self.traffic,
                &self.items,
            )
        );
        format!("{:016x}", crate::generate::fxhash(&content))
    }

    /// Reads and validates a scenario file.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let label = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            file: label.clone(),
            line: None,
            field: None,
            message: format!("cannot read: {e}"),
        })?;
        let base = path.parent().map(Path::to_path_buf);
        parse(&text, &label, base.as_deref())
    }

    /// Validates a scenario held in memory; `label` names it in errors. Relative mapping paths
    /// resolve against the current directory.
    pub fn from_toml_str(text: &str, label: &str) -> Result<Scenario, ScenarioError> {
        parse(text, label, None)
    }

    /// The embedded demo scenario (the default of `tm-simulator serve`).
    pub fn demo() -> Scenario {
        parse(DEMO_SCENARIO, "fixtures/scenarios/demo.toml", None).expect("the embedded demo scenario is valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
name = "t"
seed = 1
start = "2026-11-20T00:00:00Z"
[[employee]]
id = "a"
name = "王伟"
mobile = "138 1234 5678"
email = "a@contoso.cn"
app = "wecom"
[[external]]
id = "b"
name = "李娜"
app = "wechat"
[[item]]
at = "2026-11-20T10:00:00Z"
kind = "chat"
from = "a"
to = ["b"]
"#;

    fn err(text: &str) -> ScenarioError {
        Scenario::from_toml_str(text, "bad.toml").unwrap_err()
    }

    #[test]
    fn a_minimal_scenario_loads_with_normalised_mobiles_and_defaults() {
        let s = Scenario::from_toml_str(MINIMAL, "t.toml").unwrap();
        assert_eq!(s.employees[0].mobile.as_deref(), Some("+8613812345678"));
        assert_eq!(s.externals[0].email, "b@wechat.archive.example");
        assert_eq!(s.items[0].id, "S0001");
        assert_eq!(s.credentials, Credentials::default());
    }

    #[test]
    fn an_unknown_field_is_named_with_its_line() {
        let e = err(&MINIMAL.replace("app = \"wecom\"", "app = \"wecom\"\ncolour = \"red\""));
        assert_eq!(e.line, Some(11));
        assert!(e.message.contains("colour"), "{e}");
    }

    #[test]
    fn a_bad_mobile_is_named_with_file_line_and_field() {
        let e = err(&MINIMAL.replace("138 1234 5678", "12345"));
        assert_eq!((e.file.as_str(), e.line, e.field.as_deref()), ("bad.toml", Some(8), Some("employee[0].mobile")));
        assert!(e.to_string().starts_with("bad.toml:8: field `employee[0].mobile`"), "{e}");
    }

    #[test]
    fn a_duplicate_person_id_is_an_error() {
        let e = err(&MINIMAL.replace("id = \"b\"", "id = \"a\""));
        assert_eq!(e.field.as_deref(), Some("external[0].id"));
        assert!(e.message.contains("duplicate id `a`"), "{e}");
    }

    #[test]
    fn a_dangling_group_member_is_an_error() {
        let text = format!("{MINIMAL}\n[[group]]\nid = \"g\"\nname = \"G\"\nmembers = [\"a\", \"b\", \"ghost\"]\n");
        let e = err(&text);
        assert_eq!(e.field.as_deref(), Some("group[0].members[2]"));
        assert!(e.message.contains("ghost"), "{e}");
        assert_eq!(e.line, Some(24));
    }

    #[test]
    fn a_recall_must_name_an_existing_earlier_item() {
        let text = format!(
            "{MINIMAL}\n[[item]]\nat = \"2026-11-20T10:01:00Z\"\nkind = \"recall\"\nfrom = \"a\"\nto = [\"b\"]\nrecalls = \"nope\"\n"
        );
        let e = err(&text);
        assert_eq!(e.field.as_deref(), Some("item[1].recalls"));
        let ok = text.replace("\"nope\"", "\"S0001\"");
        assert_eq!(Scenario::from_toml_str(&ok, "t").unwrap().items[1].recalls.as_deref(), Some("S0001"));
    }

    #[test]
    fn a_fault_rule_is_checked_and_named_with_its_line() {
        let text = format!("{MINIMAL}\n[[fault]]\napi = \"vendor\"\nop = \"raw\"\naction = \"status\"\nstatus = 503\n");
        let e = err(&text);
        assert_eq!((e.field.as_deref(), e.line), (Some("fault[0].retry_after"), Some(21)), "{e}");
        let ok = Scenario::from_toml_str(&format!("{text}retry_after = 2\n"), "t").unwrap();
        assert_eq!(ok.faults.len(), 1);
        let e = err(&format!("{MINIMAL}\n[[fault]]\napi = \"vendor\"\naction = \"explode\"\n"));
        assert!(e.message.contains("explode"), "{e}");
    }

    #[test]
    fn the_demo_scenario_is_valid() {
        let demo = Scenario::demo();
        assert_eq!(demo.name, "demo");
        assert!(demo.traffic.is_some());
    }
}
