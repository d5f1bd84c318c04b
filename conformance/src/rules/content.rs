//! CONTENT: the catalogue entry, and what counts as exercising it.

use super::prelude::*;
use super::short;

/// CONTENT in the catalogue.
pub const REQUIREMENT: Requirement = Requirement {
    rule: Rule::Content,
    text: "What is imported is the source item, byte for byte.",
    check: "the sha256 and size of every imported message equal the archive's",
    scenarios: &["content", "size", "realistic-day"],
};

/// What in this scenario exercises CONTENT (or why nothing does).
pub(crate) fn exercised(j: &Judging<'_>) -> Result<String, String> {
    j.count(j.delivered(), "items imported")
}

/// CONTENT: every imported copy has the archive's sha256 and size; a copy of an item whose
/// download was cut is TRUNCATION's.
pub(crate) fn judge(j: &mut Judging<'_>) {
    let mut content = Vec::new();
    for mailbox in &j.exec.last {
        for folder in &mailbox.folders {
            // Messages another program wrote (FOREIGN-WRITES) are not the connector's.
            for view in folder.items.iter().filter(|v| !v.foreign) {
                let Some(id) = &view.id else {
                    content.push((None, format!("a message without ArchiveMessageID is in {} / {}", mailbox.address, folder.name)));
                    continue;
                };
                let Some(item) = j.exec.seen.world().archive.get(id) else { continue };
                let sha = j.exec.seen.world().archive.sha256(item);
                let size = j.exec.seen.world().archive.size(item);
                if sha != view.sha256 || size != view.size {
                    let cut = if j.cut.contains(id) { " (its download was cut short: imported as if whole)" } else { "" };
                    content.push((
                        Some(id.clone()),
                        format!(
                            "{}: the copy in {} / {} has {} bytes, sha256 {}; the archive's has {} bytes, sha256 {}{cut}",
                            j.describe(id),
                            mailbox.address,
                            folder.name,
                            view.size,
                            short(&view.sha256),
                            size,
                            short(&sha)
                        ),
                    ));
                }
            }
        }
    }
    for (id, c) in content {
        let rule = if id.as_deref().is_some_and(|i| j.cut.contains(i)) { Rule::Truncation } else { Rule::Content };
        j.add(rule, c);
    }
}
