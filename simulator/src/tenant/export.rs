//! A mailbox, or one of its folders, written out for a mail reader: as an mbox (mboxrd) or as
//! a Maildir++ tarball. `GET /sim/mailboxes/{address}/export` and `tm-simulator export` write
//! it with the same code, streaming: a message's bytes are rendered (or read) one at a time and
//! written on, so memory does not grow with the messages' size or count beyond their metadata.
//!
//! - **mbox** (`application/mbox`, RFC 4155, the *mboxrd* variant): every message after a
//!   `From MAILER-DAEMON <asctime>` line, lines matching `^>*From ` gain one `>` (a reader that
//!   knows mboxrd takes it off again), a blank line after each message. A whole mailbox is its
//!   folders one after the other (mbox has no folders); folder by folder in creation order,
//!   messages in import order.
//! - **Maildir** (`application/x-tar`): a tarball of one directory named for the address, a
//!   Maildir++ (<https://cr.yp.to/proto/maildir.html>, Courier's folder extension): the Inbox is
//!   the top Maildir, every other folder a `.Name` Maildir beside `cur/ new/ tmp/` holding a
//!   `maildirfolder` file (`.` and `/` in a name, the hierarchy separators there, are written
//!   as `%2E` and `%2F`, and `%` as `%25`). One folder exported alone is the top Maildir. A message
//!   is a file, named `NNNNNNNN.<sha256 prefix>.tm-simulator`, the bytes untouched: a final
//!   message (unread) in `new/`; a draft (read, as Graph shows drafts) in `cur/` with the
//!   Maildir info `:2,DS` (flags `D` draft and `S` seen, in ASCII order, as
//!   <https://cr.yp.to/proto/maildir.html> defines them).
//!
//! mbox has no draft flag: the `Status:`/`X-Status:` convention has `R`, `O`, `D` (deleted),
//! `F` and `A` (<https://docs.python.org/3/library/mailbox.html#mboxmessage>), and writing a
//! header would change the bytes; an mbox does not tell drafts apart (a Maildir does, and so
//! does `GET /sim/mailboxes`).
//!
//! The time on a message's `From ` line and its file's mtime is its capture time (an archive
//! item's) or its `Date` header, else the epoch; directories carry the scenario's start: the
//! same export is the same bytes every time.

use std::io::{self, Write};

use crate::tenant::mailboxes::{Content, Message};
use crate::tenant::store::MessageBytes;
use crate::tenant::store::Tenant;
use crate::world::World;
use crate::world::scenario::{Scenario, ScenarioError};

/// What an export reads: the tenant store and the world its archive items come from.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The tenant.
    pub tenant: &'a Tenant,
    /// The world.
    pub world: &'a World,
}

impl Source<'_> {
    fn message_bytes(&self, m: &Message) -> Result<Option<MessageBytes>, crate::tenant::data_dir::DataDirError> {
        self.tenant.message_bytes(&self.world.archive, m)
    }
}

/// Exports a mailbox (or one folder of it) of the tenant kept in a data directory
/// (`tm-simulator export`): returns how many messages of which mailbox were written.
pub fn from_data_dir(
    scenario: Scenario,
    data_dir: &std::path::Path,
    (address, folder): (&str, Option<&str>),
    format: Format,
    out: impl Write,
) -> Result<(usize, String), ExportError> {
    let dir = std::sync::Arc::new(crate::tenant::data_dir::DataDir::open(data_dir, &scenario)?);
    let world = World::generate(scenario)?;
    let directory = crate::tenant::directory::Directory::new(&world.archive.population.users);
    let settings = crate::tenant::quota::MailboxSettings::new(&world.scenario.failure_modes, &directory);
    let (tenant, _) = Tenant::open_with(directory, Some(dir), &world.archive, settings)?;
    let source = Source { tenant: &tenant, world: &world };
    let selection = select(&source, address, folder)?;
    write(&source, &selection, format, out)?;
    Ok((selection.len(), selection.address))
}

/// An export's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// mboxrd.
    Mbox,
    /// A Maildir++ tarball.
    Maildir,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "mbox" => Ok(Format::Mbox),
            "maildir" => Ok(Format::Maildir),
            other => Err(format!("format {other:?}: expected \"mbox\" or \"maildir\"")),
        }
    }
}

impl Format {
    /// The media type of the export.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Mbox => "application/mbox",
            Format::Maildir => "application/x-tar",
        }
    }

    /// The file name a download gets (`alice@example.com.mbox`, `….maildir.tar`).
    pub fn file_name(self, address: &str, folder: Option<&str>) -> String {
        let stem = match folder {
            Some(f) => format!("{address}-{}", f.replace(['/', '\\', '"'], "_")),
            None => address.to_string(),
        };
        match self {
            Format::Mbox => format!("{stem}.mbox"),
            Format::Maildir => format!("{stem}.maildir.tar"),
        }
    }
}

/// Why an export cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// No valid mailbox has this address.
    #[error("no valid mailbox {0:?}")]
    NoMailbox(String),
    /// The mailbox has no such folder.
    #[error("mailbox {address} has no folder {folder:?} (it has: {})", .known.join(", "))]
    NoFolder {
        /// The mailbox.
        address: String,
        /// The folder asked for.
        folder: String,
        /// The folders it has.
        known: Vec<String>,
    },
    /// A message's bytes were not kept (`serve --no-keep-bodies`).
    #[error("message {number} of {address} ({folder}): its bytes were not kept (--no-keep-bodies)")]
    NotKept {
        /// The mailbox.
        address: String,
        /// Its folder.
        folder: String,
        /// Its number in the mailbox.
        number: u32,
    },
    /// The scenario is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The data directory could not be read.
    #[error(transparent)]
    DataDir(#[from] crate::tenant::data_dir::DataDirError),
    /// Writing failed.
    #[error("writing the export: {0}")]
    Io(#[from] io::Error),
}

/// What an export holds: the mailbox's address and, per folder, its name, whether it is the
/// Inbox, and its messages' metadata (taken under the tenant lock, which is then let go).
#[derive(Debug, Clone)]
pub struct Selection {
    /// The mailbox's primary address.
    pub address: String,
    /// Only this folder was asked for.
    pub single: bool,
    /// (name, is the Inbox, messages in import order).
    pub folders: Vec<(String, bool, Vec<Message>)>,
}

impl Selection {
    /// Messages in the export.
    pub fn len(&self) -> usize {
        self.folders.iter().map(|f| f.2.len()).sum()
    }
}

/// The messages of a mailbox (any of its addresses), or of one folder named by display name
/// (ignoring case), id or well-known name.
pub fn select(state: &Source<'_>, address: &str, folder: Option<&str>) -> Result<Selection, ExportError> {
    let user = state.tenant.directory.lookup(address).ok_or_else(|| ExportError::NoMailbox(address.to_string()))?;
    state.tenant.read(|tenant| {
        let mailbox = tenant.mailboxes.get(&user.id).ok_or_else(|| ExportError::NoMailbox(address.to_string()))?;
        let is_inbox = |f: &crate::tenant::mailboxes::Folder| f.well_known == Some("inbox");
        let folders = match folder {
            None => mailbox.folders.iter().map(|f| (f.name.clone(), is_inbox(f), f.messages.clone())).collect(),
            Some(key) => {
                let f =
                    mailbox.folders.iter().find(|f| f.name.eq_ignore_ascii_case(key)).or_else(|| mailbox.folder(key)).ok_or_else(|| {
                        ExportError::NoFolder {
                            address: mailbox.address.clone(),
                            folder: key.to_string(),
                            known: mailbox.folders.iter().map(|f| f.name.clone()).collect(),
                        }
                    })?;
                vec![(f.name.clone(), is_inbox(f), f.messages.clone())]
            }
        };
        Ok(Selection { address: mailbox.address.clone(), single: folder.is_some(), folders })
    })
}

/// Writes a selection in a format.
pub fn write(state: &Source<'_>, selection: &Selection, format: Format, out: impl Write) -> Result<(), ExportError> {
    match format {
        Format::Mbox => write_mbox(state, selection, out),
        Format::Maildir => write_maildir(state, selection, out),
    }
}

/// A message's bytes, chunk by chunk, and its time (epoch seconds).
fn message(
    state: &Source<'_>,
    selection: &Selection,
    folder: &str,
    m: &Message,
) -> Result<(Box<dyn Iterator<Item = bytes::Bytes>>, i64), ExportError> {
    let bytes = state.message_bytes(m)?.ok_or_else(|| ExportError::NotKept {
        address: selection.address.clone(),
        folder: folder.to_string(),
        number: m.number,
    })?;
    Ok(match bytes {
        MessageBytes::Rendered(r) => {
            let secs = match m.content {
                Content::Archive(i) => state.world.archive.items()[i as usize].spec.captured_ms.div_euclid(1000),
                _ => 0,
            };
            (Box::new(r.into_chunks()), secs)
        }
        MessageBytes::Kept(b) => {
            let head = &b[..b.len().min(64 * 1024)];
            let secs = crate::tenant::message_resource::parse(head)
                .date
                .and_then(|d| chrono::DateTime::parse_from_rfc3339(&d).ok())
                .map_or(0, |d| d.timestamp());
            (Box::new(std::iter::once(b)), secs)
        }
    })
}

/// The mbox `From ` line's date: asctime, in UTC.
fn asctime(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().format("%a %b %e %H:%M:%S %Y").to_string()
}

fn write_mbox(state: &Source<'_>, selection: &Selection, mut out: impl Write) -> Result<(), ExportError> {
    for (name, _, messages) in &selection.folders {
        for m in messages {
            let (chunks, secs) = message(state, selection, name, m)?;
            writeln!(out, "From MAILER-DAEMON {}", asctime(secs))?;
            let mut escaped = FromEscaper::new(&mut out);
            for c in chunks {
                escaped.write_all(&c)?;
            }
            let ended_with_newline = escaped.finish()?;
            if !ended_with_newline {
                out.write_all(b"\n")?;
            }
            out.write_all(b"\n")?;
        }
    }
    out.flush()?;
    Ok(())
}

/// A folder's Maildir++ directory name (`.` and `/` separate levels there: escaped).
pub fn maildir_folder_name(name: &str) -> String {
    let escaped = name.replace('%', "%25").replace('.', "%2E").replace('/', "%2F");
    format!(".{escaped}")
}

fn write_maildir(state: &Source<'_>, selection: &Selection, out: impl Write) -> Result<(), ExportError> {
    let mut tar = tar::Builder::new(out);
    tar.mode(tar::HeaderMode::Deterministic);
    let root = selection.address.clone();
    // Directories carry the scenario's start: a reader that caches by directory mtime (Python's
    // `mailbox.Maildir` does) reads nothing from a directory dated at the epoch.
    let dir_mtime = state.world.scenario.start.timestamp().max(1) as u64;
    let dir = |tar: &mut tar::Builder<_>, path: &str| -> io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        h.set_mtime(dir_mtime);
        tar.append_data(&mut h, format!("{path}/"), io::empty())
    };
    let file = |tar: &mut tar::Builder<_>, path: &str, size: u64, mtime: i64, data: &mut dyn io::Read| -> io::Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(0o644);
        h.set_size(size);
        h.set_mtime(mtime.max(0) as u64);
        tar.append_data(&mut h, path, data)
    };
    dir(&mut tar, &root)?;
    // The top Maildir: the Inbox (of a whole mailbox), or the one folder asked for.
    let top_is_folder = |inbox: bool| selection.single || inbox;
    if !selection.folders.iter().any(|f| top_is_folder(f.1)) {
        for sub in ["cur", "new", "tmp"] {
            dir(&mut tar, &format!("{root}/{sub}"))?;
        }
    }
    for (name, inbox, messages) in &selection.folders {
        let base = if top_is_folder(*inbox) { root.clone() } else { format!("{root}/{}", maildir_folder_name(name)) };
        if base != root {
            dir(&mut tar, &base)?;
            file(&mut tar, &format!("{base}/maildirfolder"), 0, 0, &mut io::empty())?;
        }
        for sub in ["cur", "new", "tmp"] {
            dir(&mut tar, &format!("{base}/{sub}"))?;
        }
        for m in messages {
            let (chunks, secs) = message(state, selection, name, m)?;
            let path = maildir_file(&base, m);
            file(&mut tar, &path, m.size, secs, &mut ChunkReader::new(chunks))?;
        }
    }
    tar.into_inner()?.flush()?;
    Ok(())
}

/// A message's path in a Maildir: a draft in `cur/` flagged draft and seen, else in `new/`.
fn maildir_file(base: &str, m: &Message) -> String {
    let name = format!("{:08}.{}.tm-simulator", m.number, &m.sha256_hex()[..16]);
    if m.draft { format!("{base}/cur/{name}:2,DS") } else { format!("{base}/new/{name}") }
}

/// Reads an iterator of chunks as one stream.
struct ChunkReader<I> {
    chunks: I,
    current: bytes::Bytes,
}

impl<I: Iterator<Item = bytes::Bytes>> ChunkReader<I> {
    fn new(chunks: I) -> Self {
        ChunkReader { chunks, current: bytes::Bytes::new() }
    }
}

impl<I: Iterator<Item = bytes::Bytes>> io::Read for ChunkReader<I> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.next() {
                Some(c) => self.current = c,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        bytes::Buf::advance(&mut self.current, n);
        Ok(n)
    }
}

/// mboxrd quoting as a stream: a line that is `>*From ` gains one `>` in front. It holds only a
/// count of `>` and how much of `From ` has been seen at the start of the current line, so it
/// works on any split of the input, in constant memory. (Hand-written: no kept crate does this
/// as a `Write`.)
pub struct FromEscaper<W: Write> {
    out: W,
    /// At the start of a line, still deciding.
    at_start: bool,
    /// `>` seen at the start of this line.
    quotes: usize,
    /// Bytes of `From ` matched after them.
    matched: usize,
    /// The last byte written was `\n` (or nothing was written).
    ended_with_newline: bool,
    wrote: bool,
}

const FROM: &[u8] = b"From ";

impl<W: Write> FromEscaper<W> {
    /// Quotes what is written into `out`.
    pub fn new(out: W) -> Self {
        FromEscaper { out, at_start: true, quotes: 0, matched: 0, ended_with_newline: false, wrote: false }
    }

    fn flush_pending(&mut self, quote: bool) -> io::Result<()> {
        let mut q = self.quotes + usize::from(quote);
        while q > 0 {
            let n = q.min(64);
            self.out.write_all(&[b'>'; 64][..n])?;
            q -= n;
        }
        self.out.write_all(&FROM[..self.matched])?;
        self.quotes = 0;
        self.matched = 0;
        Ok(())
    }

    /// Writes what is still undecided; says whether the input ended with a newline.
    pub fn finish(mut self) -> io::Result<bool> {
        if self.quotes > 0 || self.matched > 0 {
            self.flush_pending(false)?;
        }
        Ok(self.wrote && self.ended_with_newline)
    }
}

impl<W: Write> Write for FromEscaper<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.wrote = true;
        self.ended_with_newline = buf[buf.len() - 1] == b'\n';
        let mut rest = buf;
        while !rest.is_empty() {
            if self.at_start {
                let b = rest[0];
                if self.matched == 0 && b == b'>' {
                    self.quotes += 1;
                    rest = &rest[1..];
                    continue;
                }
                if b == FROM[self.matched] {
                    self.matched += 1;
                    rest = &rest[1..];
                    if self.matched == FROM.len() {
                        self.flush_pending(true)?;
                        self.at_start = false;
                    }
                    continue;
                }
                // Not a `From ` line: what was held goes out as it was.
                self.flush_pending(false)?;
                self.at_start = false;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.out.write_all(&rest[..=i])?;
                    rest = &rest[i + 1..];
                    self.at_start = true;
                }
                None => {
                    self.out.write_all(rest)?;
                    rest = &[];
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// mboxrd quoting of a whole message.
#[cfg(test)]
fn escape_from_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut e = FromEscaper::new(&mut out);
    e.write_all(input).expect("writing to a Vec");
    e.finish().expect("writing to a Vec");
    out
}

/// What an mboxrd reader does: one `>` off every line that is `>+From `.
#[cfg(test)]
fn unescape_from_lines(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    for line in input.split_inclusive(|&b| b == b'\n') {
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line[quotes..].starts_with(FROM) {
            out.extend_from_slice(&line[1..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    #[test]
    fn a_draft_is_in_cur_flagged_draft_and_seen_a_final_message_in_new() {
        let mut m = Message::new(Content::Dropped, None, None, [0xab; 32], 1);
        m.number = 3;
        assert_eq!(maildir_file("a", &m), "a/cur/00000003.abababababababab.tm-simulator:2,DS");
        assert_eq!(maildir_file("a", &m.made(false, 0)), "a/new/00000003.abababababababab.tm-simulator");
    }

    #[test]
    fn from_lines_gain_one_quote_and_nothing_else_changes() {
        let input = b"From me\nFrom: header\n>From x\n>>From y\n a From z\nFro\n>Fro\n>";
        let out = escape_from_lines(input);
        assert_eq!(out, b">From me\nFrom: header\n>>From x\n>>>From y\n a From z\nFro\n>Fro\n>".to_vec());
        assert_eq!(unescape_from_lines(&out), input.to_vec());
    }

    /// Bytes biased towards the pieces of `From ` lines.
    #[derive(Clone, Debug)]
    struct Text(Vec<u8>);

    impl quickcheck::Arbitrary for Text {
        fn arbitrary(g: &mut quickcheck::Gen) -> Text {
            let pieces: [&[u8]; 8] = [b"From ", b">", b"\n", b"\r\n", b"Fro", b"x", b"From", b" "];
            let n = usize::arbitrary(g) % 40;
            Text((0..n).flat_map(|_| g.choose(&pieces).unwrap().to_vec()).collect())
        }
    }

    quickcheck! {
        fn escaping_is_undone_by_an_mboxrd_reader(t: Text) -> bool {
            unescape_from_lines(&escape_from_lines(&t.0)) == t.0
        }

        fn escaped_output_has_no_from_line(t: Text) -> bool {
            let out = escape_from_lines(&t.0);
            !out.starts_with(b"From ") && !out.windows(6).any(|w| w == b"\nFrom ")
        }

        fn escaping_does_not_depend_on_how_the_input_is_split(t: Text, cuts: Vec<usize>) -> bool {
            let mut out = Vec::new();
            let mut e = FromEscaper::new(&mut out);
            let mut rest: &[u8] = &t.0;
            for c in cuts {
                let at = if rest.is_empty() { 0 } else { c % (rest.len() + 1) };
                e.write_all(&rest[..at]).unwrap();
                rest = &rest[at..];
            }
            e.write_all(rest).unwrap();
            let ended = e.finish().unwrap();
            out == escape_from_lines(&t.0) && ended == t.0.ends_with(b"\n")
        }
    }

    #[test]
    fn folder_names_keep_maildir_separators_out() {
        assert_eq!(maildir_folder_name("WeChat Archiver"), ".WeChat Archiver");
        assert_eq!(maildir_folder_name("a.b/c%"), ".a%2Eb%2Fc%25");
    }

    #[test]
    fn asctime_is_what_mbox_from_lines_carry() {
        assert_eq!(asctime(0), "Thu Jan  1 00:00:00 1970");
        assert_eq!(asctime(1_763_629_200), "Thu Nov 20 09:00:00 2025");
    }
}
