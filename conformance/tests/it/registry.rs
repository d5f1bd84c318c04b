//! The rule registry lists every rule exactly once: one file per rule under `src/rules/`, named
//! after its ID, which is in that file, in the README's and the contract's tables (in the
//! catalogue's order) and in the mutant test that proves the rule can fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use tm_conformance::Rule;

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The rule files: `src/rules/*.rs` but `mod.rs`, sorted.
fn rule_files() -> Vec<PathBuf> {
    let dir = crate_dir().join("src/rules");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && p.file_name().is_some_and(|n| n != "mod.rs"))
        .collect();
    files.sort();
    files
}

/// The IDs in the first column of a Markdown table, in order, of the rules known.
fn table_ids<'a>(markdown: &'a str, known: &[&str]) -> Vec<&'a str> {
    markdown.lines().filter_map(|l| l.strip_prefix("| ")?.split(" |").next()).filter(|id| known.contains(id)).collect()
}

#[test]
fn the_registry_lists_every_rule_file_exactly_once_under_its_id() {
    let ids: Vec<&str> = Rule::all().iter().map(|r| r.id()).collect();
    let distinct: BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), ids.len(), "an ID is listed twice: {ids:?}");
    let files = rule_files();
    assert_eq!(files.len(), ids.len(), "{} rule files but {} rules in the registry: {files:?}", files.len(), ids.len());
    for file in &files {
        let stem = file.file_stem().and_then(|s| s.to_str()).expect("a UTF-8 name");
        let id = stem.to_uppercase().replace('_', "-");
        let rule = Rule::from_id(&id).unwrap_or_else(|| panic!("{stem}.rs is no rule of the registry (no rule {id})"));
        assert_eq!(rule.requirement().id, id);
        assert!(read(file).contains(&format!("id: \"{id}\"")), "{stem}.rs does not declare the ID {id}");
    }
}

#[test]
fn every_rule_is_in_the_readme_and_the_contract_in_catalogue_order_and_proved_by_a_mutant() {
    let ids: Vec<&str> = Rule::all().iter().map(|r| r.id()).collect();
    let readme = read(&crate_dir().join("README.md"));
    assert_eq!(table_ids(&readme, &ids), ids, "conformance/README.md's table of rules");
    let contract = read(&crate_dir().join("../docs/contract.md"));
    assert_eq!(table_ids(&contract, &ids), ids, "docs/contract.md's table of rules");
    let mutants = read(&crate_dir().join("tests/it/mutants.rs"));
    for id in &ids {
        assert!(mutants.contains(&format!("\"{id}\"")), "no mutant test proves {id} can fail (tests/it/mutants.rs)");
    }
}

/// `cargo fmt` does not see the rule files (the registry's macro declares them): rustfmt checks
/// them here.
#[test]
fn the_rule_files_are_formatted() {
    if Command::new("rustfmt").arg("--version").output().is_err() {
        eprintln!("rustfmt is not installed: the rule files' formatting is not checked");
        return;
    }
    let out = Command::new("rustfmt").args(["--check", "--edition", "2024"]).args(rule_files()).output().expect("rustfmt runs");
    assert!(
        out.status.success(),
        "run `rustfmt --edition 2024 conformance/src/rules/*.rs`:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
