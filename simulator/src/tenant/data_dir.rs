//! `serve --data-dir DIR`: the tenant (folders, messages, blobs, journal) kept in an SQLite
//! database (`DIR/tenant.sqlite3`, through `rusqlite` with SQLite bundled: no system library),
//! so that a restart on the same directory finds every mailbox as it was.
//!
//! The in-memory tenant stays the one the APIs read (metadata only, see `tenant::mailboxes`);
//! every change is written through to the database before it is answered, in WAL mode with
//! `synchronous = NORMAL`: what was answered survives the process being killed (not a power
//! cut, which a simulator need not survive). Bytes identical to an archive item are stored as
//! the item's id and rendered again when read, other bytes once per distinct content.
//!
//! A directory belongs to one scenario: its name, seed and a fingerprint of everything that
//! decides the generated people and items are written on first use, and a directory written
//! for another scenario is refused before anything in it is touched.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, params};

use crate::observe::journal::Entry;
use crate::tenant::mailboxes::{Content, Mailboxes, Message, Sha256};
use crate::world::archive::Archive;
use crate::world::scenario::Scenario;

/// The database file inside the data directory.
pub const DATABASE_FILE: &str = "tenant.sqlite3";

/// The layout of the database this code writes: 2 added to layout 1 whether a message is a
/// draft (`draft`) and when it was created (`created_ms`). A layout-1 directory is brought to
/// layout 2 when opened (its messages were all made by the MIME create, which makes drafts,
/// and are dated the scenario's start); any other layout is refused with a clear error.
const SCHEMA_VERSION: i64 = 2;

/// Why a data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// The directory was written for another scenario.
    #[error("data directory {dir}: written for scenario {found}, not for {wanted}; use another --data-dir or remove this one")]
    OtherScenario {
        /// The directory.
        dir: PathBuf,
        /// What the directory holds.
        found: String,
        /// What was asked for.
        wanted: String,
    },
    /// The database could not be opened, read or written.
    #[error("data directory {dir}: {what}: {source}")]
    Database {
        /// The directory.
        dir: PathBuf,
        /// What was being done.
        what: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The directory could not be created.
    #[error("data directory {dir}: {source}")]
    Io {
        /// The directory.
        dir: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The database holds something this scenario cannot explain.
    #[error("data directory {dir}: {message}")]
    Inconsistent {
        /// The directory.
        dir: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// An open data directory.
#[derive(Debug)]
pub struct DataDir {
    dir: PathBuf,
    conn: Mutex<Connection>,
}

/// What a data directory held when it was opened.
#[derive(Debug, Default)]
pub struct Restored {
    /// Messages put back.
    pub messages: u64,
    /// The journal's entries, oldest first (the caller keeps as many as its bound allows).
    pub journal: Vec<Entry>,
    /// Journal entries ever written (the next gets this number + 1).
    pub journal_total: u64,
}

/// Brings a layout-1 database to layout 2, in one transaction: every message a draft (layout 1
/// had only the MIME create, which makes drafts), created at the scenario's start.
fn upgrade_from_1(conn: &Connection, scenario: &Scenario) -> rusqlite::Result<()> {
    let start = scenario.start.timestamp_millis();
    conn.execute_batch(&format!(
        "BEGIN;
         ALTER TABLE messages ADD COLUMN draft INTEGER NOT NULL DEFAULT 1;
         ALTER TABLE messages ADD COLUMN created_ms INTEGER NOT NULL DEFAULT {start};
         UPDATE meta SET value = '{SCHEMA_VERSION}' WHERE key = 'schema';
         COMMIT;"
    ))
}

/// What identifies a scenario's generated content, in words and as a fingerprint.
fn identity(scenario: &Scenario) -> (String, String) {
    (format!("{:?} (seed {})", scenario.name, scenario.seed), scenario.content_fingerprint())
}

impl DataDir {
    /// Opens (creating it if needed) the data directory of a scenario; refuses one written for
    /// another scenario.
    pub fn open(dir: &Path, scenario: &Scenario) -> Result<DataDir, DataDirError> {
        std::fs::create_dir_all(dir).map_err(|source| DataDirError::Io { dir: dir.to_path_buf(), source })?;
        let db = |what: &str| {
            let dir = dir.to_path_buf();
            let what = what.to_string();
            move |source| DataDirError::Database { dir, what, source }
        };
        let conn = Connection::open(dir.join(DATABASE_FILE)).map_err(db("opening the database"))?;
        let (wanted, fingerprint) = identity(scenario);
        // The directory's identity is checked before anything is written to it.
        let has_meta: bool = conn
            .query_row("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'", [], |r| r.get::<_, i64>(0))
            .map_err(db("reading the database (is it an SQLite file?)"))?
            > 0;
        let get = |key: &str| -> Result<Option<String>, DataDirError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional().map_err(db("reading meta"))
        };
        let fresh = if has_meta {
            match (get("scenario")?, get("fingerprint")?, get("schema")?) {
                (Some(found), Some(f), Some(schema)) => {
                    if found != wanted {
                        return Err(DataDirError::OtherScenario { dir: dir.to_path_buf(), found, wanted });
                    }
                    if f != fingerprint {
                        return Err(DataDirError::OtherScenario {
                            dir: dir.to_path_buf(),
                            found: format!("{found} with other people or traffic (fingerprint {f})"),
                            wanted: format!("{wanted} (fingerprint {fingerprint})"),
                        });
                    }
                    if schema == "1" {
                        upgrade_from_1(&conn, scenario).map_err(db("bringing layout 1 to layout 2"))?;
                    } else if schema != SCHEMA_VERSION.to_string() {
                        return Err(DataDirError::Inconsistent {
                            dir: dir.to_path_buf(),
                            message: format!("database layout {schema}, this simulator writes layout {SCHEMA_VERSION}"),
                        });
                    }
                    false
                }
                _ => {
                    return Err(DataDirError::Inconsistent {
                        dir: dir.to_path_buf(),
                        message: format!("{DATABASE_FILE} lacks its scenario record (not written by tm-simulator?)"),
                    });
                }
            }
        } else {
            let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0)).map_err(db("reading the database"))?;
            if tables > 0 {
                return Err(DataDirError::Inconsistent {
                    dir: dir.to_path_buf(),
                    message: format!("{DATABASE_FILE} is a database of something else (no scenario record)"),
                });
            }
            true
        };
        conn.pragma_update(None, "journal_mode", "WAL").map_err(db("setting WAL mode"))?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(db("setting synchronous"))?;
        if fresh {
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 CREATE TABLE folders (user_id TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL,
                     PRIMARY KEY (user_id, id));
                 CREATE TABLE messages (user_id TEXT NOT NULL, folder_id TEXT NOT NULL, number INTEGER NOT NULL,
                     archive_id TEXT, internet_message_id TEXT NOT NULL, sha256 BLOB NOT NULL, size INTEGER NOT NULL,
                     archive_item TEXT, kept INTEGER NOT NULL, draft INTEGER NOT NULL DEFAULT 1,
                     created_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user_id, number));
                 CREATE TABLE blobs (sha256 BLOB PRIMARY KEY, bytes BLOB NOT NULL);
                 CREATE TABLE journal (seq INTEGER PRIMARY KEY, entry TEXT NOT NULL);",
            )
            .map_err(db("creating the tables"))?;
            for (k, v) in [("scenario", wanted.as_str()), ("fingerprint", fingerprint.as_str()), ("schema", &SCHEMA_VERSION.to_string())] {
                conn.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![k, v]).map_err(db("writing meta"))?;
            }
            conn.execute_batch("COMMIT;").map_err(db("creating the tables"))?;
        }
        Ok(DataDir { dir: dir.to_path_buf(), conn: Mutex::new(conn) })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    fn err(&self, what: &str) -> impl FnOnce(rusqlite::Error) -> DataDirError + '_ {
        let what = what.to_string();
        move |source| DataDirError::Database { dir: self.dir.clone(), what, source }
    }

    /// Puts the stored folders and messages back into fresh mailboxes and reads the journal.
    pub fn restore(&self, mailboxes: &mut Mailboxes, archive: &Archive) -> Result<Restored, DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        let inconsistent = |message: String| DataDirError::Inconsistent { dir: self.dir.clone(), message };
        let mut folders = conn.prepare("SELECT user_id, id, name FROM folders ORDER BY rowid").map_err(self.err("reading folders"))?;
        let rows = folders
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .map_err(self.err("reading folders"))?;
        for row in rows {
            let (user, id, name) = row.map_err(self.err("reading folders"))?;
            if !mailboxes.restore_folder(&user, &id, &name) {
                return Err(inconsistent(format!("folder {name:?} belongs to user {user}, who has no mailbox in this scenario")));
            }
        }
        let mut restored = Restored::default();
        let mut messages = conn
            .prepare(
                "SELECT user_id, folder_id, number, archive_id, internet_message_id, sha256, size, archive_item, kept, draft, created_ms
                 FROM messages ORDER BY user_id, number",
            )
            .map_err(self.err("reading messages"))?;
        let rows = messages
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Vec<u8>>(5)?,
                    r.get::<_, u64>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, bool>(8)?,
                    (r.get::<_, bool>(9)?, r.get::<_, i64>(10)?),
                ))
            })
            .map_err(self.err("reading messages"))?;
        for row in rows {
            let (user, folder, number, archive_id, internet_id, sha, size, item, kept, (draft, created_ms)) =
                row.map_err(self.err("reading messages"))?;
            let sha256: Sha256 =
                sha.try_into().map_err(|_| inconsistent(format!("message {number} of user {user} has a digest that is not 32 bytes")))?;
            let content = match (item, kept) {
                (Some(item), _) => match archive.position(&item) {
                    Some(i) => Content::Archive(i as u32),
                    None => {
                        return Err(inconsistent(format!(
                            "message {number} of user {user} refers to archive item {item}, which this scenario lacks"
                        )));
                    }
                },
                (None, true) => Content::Blob,
                (None, false) => Content::Dropped,
            };
            let mut message = Message::new(content, archive_id, Some(internet_id), sha256, size).made(draft, created_ms);
            message.number = number;
            if !mailboxes.restore_message(&user, &folder, message) {
                return Err(inconsistent(format!("message {number} of user {user} is in folder {folder}, which is not in that mailbox")));
            }
            restored.messages += 1;
        }
        let mut journal = conn.prepare("SELECT seq, entry FROM journal ORDER BY seq").map_err(self.err("reading the journal"))?;
        let rows = journal.query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))).map_err(self.err("reading the journal"))?;
        for row in rows {
            let (seq, text) = row.map_err(self.err("reading the journal"))?;
            let entry = Entry::from_json(&text).map_err(|e| inconsistent(format!("journal entry {seq}: {e}")))?;
            restored.journal_total = restored.journal_total.max(seq);
            restored.journal.push(entry);
        }
        Ok(restored)
    }

    /// Records a new folder.
    pub fn folder_created(&self, user_id: &str, folder_id: &str, name: &str) -> Result<(), DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        conn.execute("INSERT OR REPLACE INTO folders (user_id, id, name) VALUES (?1, ?2, ?3)", params![user_id, folder_id, name])
            .map_err(self.err("writing a folder"))?;
        Ok(())
    }

    /// Records an imported message; `bytes` when its content is kept here (not an archive item).
    pub fn message_imported(
        &self,
        archive: &Archive,
        user_id: &str,
        folder_id: &str,
        message: &Message,
        archive_item: Option<&str>,
        bytes: Option<&[u8]>,
    ) -> Result<(), DataDirError> {
        let mut conn = self.conn.lock().expect("data dir lock");
        let tx = conn.transaction().map_err(self.err("writing a message"))?;
        if let Some(bytes) = bytes {
            tx.execute("INSERT OR IGNORE INTO blobs (sha256, bytes) VALUES (?1, ?2)", params![&message.sha256[..], bytes])
                .map_err(self.err("writing a message's bytes"))?;
        }
        tx.execute(
            "INSERT INTO messages (user_id, folder_id, number, archive_id, internet_message_id, sha256, size, archive_item, kept,
                 draft, created_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                user_id,
                folder_id,
                message.number,
                message.archive_id(archive),
                message.internet_message_id(archive).unwrap_or_default(),
                &message.sha256[..],
                message.size,
                archive_item,
                message.content != Content::Dropped,
                message.draft,
                message.created_ms,
            ],
        )
        .map_err(self.err("writing a message"))?;
        tx.commit().map_err(self.err("writing a message"))?;
        Ok(())
    }

    /// Records a move: message `number` of a mailbox is now message `new_number`, in folder `to`.
    pub fn message_moved(&self, user_id: &str, number: u32, to: &str, new_number: u32) -> Result<(), DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        let changed = conn
            .execute(
                "UPDATE messages SET number = ?1, folder_id = ?2 WHERE user_id = ?3 AND number = ?4",
                params![new_number, to, user_id, number],
            )
            .map_err(self.err("moving a message"))?;
        if changed != 1 {
            return Err(DataDirError::Inconsistent {
                dir: self.dir.clone(),
                message: format!("message {number} of user {user_id} is not in the database, it cannot be moved"),
            });
        }
        Ok(())
    }

    /// Appends a journal entry.
    pub fn journalled(&self, entry: &Entry) -> Result<(), DataDirError> {
        let text = serde_json::to_string(entry).expect("an entry serialises");
        let conn = self.conn.lock().expect("data dir lock");
        conn.execute("INSERT INTO journal (seq, entry) VALUES (?1, ?2)", params![entry.seq, text])
            .map_err(self.err("writing the journal"))?;
        Ok(())
    }

    /// Journal entries after `seq`, at most `limit`, oldest first.
    pub fn journal_after(&self, seq: u64, limit: usize) -> Result<Vec<Entry>, DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        let mut q = conn
            .prepare_cached("SELECT entry FROM journal WHERE seq > ?1 ORDER BY seq LIMIT ?2")
            .map_err(self.err("reading the journal"))?;
        let rows = q.query_map(params![seq, limit as i64], |r| r.get::<_, String>(0)).map_err(self.err("reading the journal"))?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(self.err("reading the journal"))?;
            out.push(
                Entry::from_json(&text)
                    .map_err(|e| DataDirError::Inconsistent { dir: self.dir.clone(), message: format!("journal: {e}") })?,
            );
        }
        Ok(out)
    }

    /// The kept bytes of a digest.
    pub fn blob(&self, sha256: &Sha256) -> Result<Option<Bytes>, DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        conn.query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [&sha256[..]], |r| r.get::<_, Vec<u8>>(0))
            .optional()
            .map(|b| b.map(Bytes::from))
            .map_err(self.err("reading a message's bytes"))
    }

    /// Forgets every folder, message, blob and journal entry (`POST /sim/reset`).
    pub fn clear(&self) -> Result<(), DataDirError> {
        let conn = self.conn.lock().expect("data dir lock");
        conn.execute_batch("DELETE FROM folders; DELETE FROM messages; DELETE FROM blobs; DELETE FROM journal;")
            .map_err(self.err("clearing the tenant"))?;
        Ok(())
    }
}
