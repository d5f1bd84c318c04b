//! CONTENT: the catalogue entry, what counts as exercising it, its judging, and what it explains:
//! first in the attribution order, a delivery of an item the archive does not have.

use super::prelude::*;
use super::short;

/// CONTENT.
pub(crate) const RULE: Rule = Rule::new(&Content);

const REQUIREMENT: Requirement = Requirement {
    id: "CONTENT",
    text: "What is imported is the source item, byte for byte.",
    check: "the sha256 and size of every imported message equal the archive's",
    scenarios: &["content", "size", "realistic-day"],
};

struct Content;

impl Check for Content {
    fn requirement(&self) -> &'static Requirement {
        &REQUIREMENT
    }

    fn exercised(&self, j: &Judging<'_>) -> Result<String, String> {
        j.count(j.delivered(), "items imported")
    }

    /// Every imported copy has the archive's sha256 and size; a copy of an item whose download
    /// was cut is TRUNCATION's, one whose download was corrupt or malformed INTEGRITY's.
    fn judge(&self, j: &Judging<'_>, out: &mut Findings) {
        let cut = super::truncation::cut(j);
        let bad = super::integrity::hit(j);
        for mailbox in &j.exec.last {
            for folder in &mailbox.folders {
                // Messages another program wrote (FOREIGN-WRITES) are not the connector's.
                for view in folder.items.iter().filter(|v| !v.foreign) {
                    let Some(id) = &view.id else {
                        out.add(RULE, format!("a message without ArchiveMessageID is in {} / {}", mailbox.address, folder.name));
                        continue;
                    };
                    let Some(item) = j.exec.seen.world().archive.get(id) else { continue };
                    let sha = j.exec.seen.world().archive.sha256(item);
                    let size = j.exec.seen.world().archive.size(item);
                    if sha != view.sha256 || size != view.size {
                        let cut_short = cut.contains(id);
                        let bad_bytes = !cut_short && bad.contains(id);
                        let note = match (cut_short, bad_bytes) {
                            (true, _) => " (its download was cut short: imported as if whole)",
                            (_, true) => " (its download was corrupt or malformed: imported unchecked)",
                            _ => "",
                        };
                        let msg = format!(
                            "{}: the copy in {} / {} has {} bytes, sha256 {}; the archive's has {} bytes, sha256 {}{note}",
                            j.describe(id),
                            mailbox.address,
                            folder.name,
                            view.size,
                            short(&view.sha256),
                            size,
                            short(&sha)
                        );
                        let rule = match (cut_short, bad_bytes) {
                            (true, _) => super::truncation::RULE,
                            (_, true) => super::integrity::RULE,
                            _ => RULE,
                        };
                        out.add(rule, msg);
                    }
                }
            }
        }
    }

    fn attribution_rank(&self) -> Option<u16> {
        Some(10)
    }

    fn missing(&self, j: &Judging<'_>, d: &Missing<'_>) -> Option<Explained> {
        d.item
            .is_none()
            .then(|| Explained::Finding(format!("{}: expected in {} but the archive has no such item", j.describe(d.id), d.mailbox)))
    }

    fn unexpected(&self, _j: &Judging<'_>, d: &Unexpected<'_>) -> Option<String> {
        d.item.is_none().then(|| format!("message {} in {} / {} is not an item of the archive", d.id, d.mailbox, d.folders))
    }
}
