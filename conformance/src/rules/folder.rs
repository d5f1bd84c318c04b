//! FOLDER: the catalogue entry, and what counts as exercising it.

use super::prelude::*;
use tm_simulator::FOLDER_NAME;

/// FOLDER in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Folder,
    text: "Items land in a top-level folder named exactly `WeChat Archiver`, created on first use and reused after; a \
               mailbox never gets two such folders.",
    check: "every imported item is in `WeChat Archiver`; no other folder is created; no mailbox has two; none is created \
                empty",
    scenarios: &["folder", "realistic-day", "multi-day"],
};

/// What in this scenario exercises FOLDER (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.delivered(), "items imported")
}

/// FOLDER: items only in `WeChat Archiver`, one such folder, none created empty or elsewhere.
pub(crate) fn judge(j: &mut Judging<'_>) {
    for (mailbox, folders) in &j.actual.tenant {
        let archive_like = folders.keys().filter(|f| f.eq_ignore_ascii_case(FOLDER_NAME)).count();
        if archive_like > 1 {
            j.add(Rule::Folder, format!("{mailbox} has {archive_like} folders named like `{FOLDER_NAME}`"));
        }
        let initial = j.exec.initial.iter().find(|m| tm_contract::same_address(&m.address, mailbox));
        for (folder, ids) in folders {
            let existed = initial.is_some_and(|m| m.folders.iter().any(|f| &f.name == folder));
            if folder != FOLDER_NAME {
                if !ids.is_empty() {
                    let sample: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
                    let more = if ids.len() > 3 { format!(" and {} more", ids.len() - 3) } else { String::new() };
                    j.add(
                        Rule::Folder,
                        format!(
                            "{} item(s) in {mailbox} / `{folder}` ({}{more}): expected in `{FOLDER_NAME}`",
                            ids.len(),
                            sample.join(", ")
                        ),
                    );
                } else if !existed {
                    j.add(Rule::Folder, format!("folder `{folder}` was created in {mailbox}; only `{FOLDER_NAME}` may be"));
                }
            } else if ids.is_empty() && !existed {
                // A folder created and then not found again beyond the first page is GRAPH-PAGING's.
                let rule =
                    if j.folder_not_found.iter().any(|m| tm_contract::same_address(m, mailbox)) { Rule::GraphPaging } else { Rule::Folder };
                j.add(rule, format!("`{FOLDER_NAME}` was created empty in {mailbox} (it is created on first use)"));
            }
        }
    }
}
