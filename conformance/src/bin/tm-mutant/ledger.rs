//! The state directory: a checkpoint and a durable ledger of imports and intents.

use super::*;

/// An import begun and not known to have ended: item, user, folder, the folder's count before,
/// the item's Message-ID.
pub(crate) type Intent = (String, String, String, u64, String);

/// The durable ledger: `imported ITEM USER` and `intent ITEM USER FOLDER COUNT MESSAGE-ID` lines.
pub(crate) struct Ledger {
    pub(crate) path: PathBuf,
    pub(crate) imported: BTreeSet<(String, String)>,
    pub(crate) intents: Vec<Intent>,
    pub(crate) off: bool,
}

impl Ledger {
    pub(crate) fn open(dir: &Path, off: bool) -> anyhow::Result<Ledger> {
        let path = dir.join("mutant-ledger.txt");
        let mut ledger = Ledger { path, imported: BTreeSet::new(), intents: Vec::new(), off };
        let text = std::fs::read_to_string(&ledger.path).unwrap_or_default();
        let mut pending: BTreeMap<(String, String), (String, u64, String)> = BTreeMap::new();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["imported", item, user] | ["cleared", item, user] => {
                    pending.remove(&(item.to_string(), user.to_string()));
                    if f[0] == "imported" {
                        ledger.imported.insert((item.to_string(), user.to_string()));
                    }
                }
                ["intent", item, user, folder, count, message_id] => {
                    let count = count.parse().unwrap_or(u64::MAX);
                    pending.insert((item.to_string(), user.to_string()), (folder.to_string(), count, message_id.to_string()));
                }
                _ => {} // a torn last line
            }
        }
        ledger.intents = pending.into_iter().map(|((i, u), (f, c, m))| (i, u, f, c, m)).collect();
        Ok(ledger)
    }

    pub(crate) fn append(&self, line: &str) -> anyhow::Result<()> {
        if self.off {
            return Ok(());
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        f.write_all(format!("{line}\n").as_bytes())?;
        f.sync_data()?;
        Ok(())
    }
}
