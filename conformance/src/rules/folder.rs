//! FOLDER: the catalogue entry, what counts as exercising it, and its judging.

use super::prelude::*;
use tm_simulator::FOLDER_NAME;

/// FOLDER.
pub(crate) const RULE: Rule = Rule::new(&Folder);

const REQUIREMENT: Requirement = Requirement {
    id: "FOLDER",
    text: "Items land in a top-level folder named exactly `WeChat Archiver`, created on first use and reused after; a \
               mailbox never gets two such folders.",
    check: "every imported item is in `WeChat Archiver`; no other folder is created; no mailbox has two; none is created \
                empty",
    scenarios: &["folder", "realistic-day", "multi-day"],
};

struct Folder;

impl Check for Folder {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.delivered(), "items imported")
    }

    /// Items only in `WeChat Archiver`, one such folder, none created empty or elsewhere.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        for (mailbox, folders) in &j.actual.tenant {
            let archive_like = folders.keys().filter(|f| f.eq_ignore_ascii_case(FOLDER_NAME)).count();
            if archive_like > 1 {
                out.add(RULE, format!("{mailbox} has {archive_like} folders named like `{FOLDER_NAME}`"));
            }
            let initial = j.exec.initial.iter().find(|m| tm_contract::same_address(&m.address, mailbox));
            for (folder, ids) in folders {
                let existed = initial.is_some_and(|m| m.folders.iter().any(|f| &f.name == folder));
                if folder != FOLDER_NAME {
                    if !ids.is_empty() {
                        let sample: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
                        let more = if ids.len() > 3 { format!(" and {} more", ids.len() - 3) } else { String::new() };
                        out.add(
                            RULE,
                            format!(
                                "{} item(s) in {mailbox} / `{folder}` ({}{more}): expected in `{FOLDER_NAME}`",
                                ids.len(),
                                sample.join(", ")
                            ),
                        );
                    } else if !existed {
                        out.add(RULE, format!("folder `{folder}` was created in {mailbox}; only `{FOLDER_NAME}` may be"));
                    }
                } else if ids.is_empty() && !existed && !super::refusals::refuses(j, mailbox) {
                    // (A mailbox that refused its deliveries, for the quota or the size, may keep
                    // the folder created for them empty.)
                    // A folder created and then not found again beyond the first page is GRAPH-PAGING's.
                    let rule = if super::graph_paging::concerns(j, mailbox) { super::graph_paging::RULE } else { RULE };
                    out.add(rule, format!("`{FOLDER_NAME}` was created empty in {mailbox} (it is created on first use)"));
                }
            }
        }
    }
}
