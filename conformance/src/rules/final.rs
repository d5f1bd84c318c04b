//! FINAL: the catalogue entry, what counts as exercising it, and its judging: every message the
//! connector imported is a final message, not a draft.
//!
//! Graph's MIME create (`POST /users/{id}/messages`, also on a folder's messages) "always creates
//! a draft" (<https://learn.microsoft.com/graph/api/user-post-messages>): an editable, sendable
//! record, not what a compliance archive holds. Beta's `importMime` imports a message "in a final,
//! non-draft state", "as if it was delivered"
//! (<https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>). The tenant
//! shows which is which (`GET /sim/mailboxes`, `"draft"`).

use std::collections::BTreeSet;

use super::prelude::*;

/// FINAL.
pub(crate) const RULE: Rule = Rule::new(&Final);

const REQUIREMENT: Requirement = Requirement {
    id: "FINAL",
    text: "(v3) Imported items are final messages, not drafts (Graph's MIME create makes drafts; beta's `importMime` \
               imports final messages).",
    check: "every message the runs added to `WeChat Archiver` (another program's left aside) has `isDraft` false \
                (`GET /sim/mailboxes`, `\"draft\"`)",
    scenarios: &["final"],
};

struct Final;

/// The messages the runs imported, as (mailbox, folder, item id, draft): those in the tenant after
/// the runs that it did not hold before, another program's left aside.
fn imported(j: &Judging<'_>) -> Vec<(String, String, String, bool)> {
    let before: BTreeSet<(String, String, String)> = j
        .exec
        .initial
        .iter()
        .flat_map(|m| {
            m.folders.iter().flat_map(move |f| f.items.iter().map(move |i| (m.address.clone(), f.name.clone(), i.sha256.clone())))
        })
        .collect();
    let mut out = Vec::new();
    for m in &j.exec.last {
        for f in &m.folders {
            for i in f.items.iter().filter(|i| !i.foreign) {
                if !before.contains(&(m.address.clone(), f.name.clone(), i.sha256.clone())) {
                    out.push((m.address.clone(), f.name.clone(), i.id.clone().unwrap_or_else(|| "(no id)".into()), i.draft));
                }
            }
        }
    }
    out
}

impl Check for Final {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(imported(j).len(), "messages imported")
    }

    /// A draft among the imported messages is a finding.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        for (mailbox, folder, id, draft) in imported(j) {
            if draft {
                let what = if j.facts.get(&id).is_some() { j.describe(&id) } else { format!("message {id}") };
                out.add(RULE, format!("{what}: imported into {mailbox} / {folder} as a draft (isDraft true), not a final message"));
            }
        }
    }
}
