//! The bundle's container: a gzip-compressed tar archive, deterministic (paths sorted, every
//! entry a regular file of mode 0644, uid and gid 0, no owner names, mtime 0; the gzip header's
//! time 0), so that the same files always give the same bytes; and read back into memory, every
//! path checked (relative, no `..`, each once; folders and a leading `./`, as `tar` packs them,
//! are passed over).

use std::collections::BTreeMap;
use std::io::Read;

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

/// The files of a bundle: path → bytes (sorted by path).
pub type Files = BTreeMap<String, Vec<u8>>;

/// Why an archive cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Not gzip, not tar, truncated.
    #[error("not a readable .tar.gz archive: {0}")]
    Unreadable(String),
    /// A path that is not a plain relative one, or twice.
    #[error("entry `{path}`: {why}")]
    BadEntry {
        /// The entry's path.
        path: String,
        /// What is wrong.
        why: &'static str,
    },
}

/// The archive of `files`, as bytes.
pub fn write(files: &Files) -> std::io::Result<Vec<u8>> {
    let gz = flate2::GzBuilder::new().mtime(0).write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        tar.append_data(&mut header, path, bytes.as_slice())?;
    }
    let gz: GzEncoder<Vec<u8>> = tar.into_inner()?;
    gz.finish()
}

/// The files of an archive's bytes.
pub fn read(bytes: &[u8]) -> Result<Files, ArchiveError> {
    let unreadable = |e: std::io::Error| ArchiveError::Unreadable(e.to_string());
    let mut tar = tar::Archive::new(GzDecoder::new(bytes));
    let mut files = Files::new();
    for entry in tar.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let raw = entry.path().map_err(unreadable)?.to_string_lossy().into_owned();
        // An archive packed again by hand (`tar czf b.tar.gz -C dir .`) has folders and `./`.
        let path = raw.trim_start_matches("./").trim_end_matches('/').to_string();
        if entry.header().entry_type().is_dir() {
            continue;
        }
        if !entry.header().entry_type().is_file() {
            return Err(ArchiveError::BadEntry { path, why: "not a regular file" });
        }
        if !plain(&path) {
            return Err(ArchiveError::BadEntry { path, why: "not a plain relative path" });
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut data).map_err(unreadable)?;
        if files.insert(path.clone(), data).is_some() {
            return Err(ArchiveError::BadEntry { path, why: "more than once" });
        }
    }
    if files.is_empty() {
        return Err(ArchiveError::Unreadable("no files in it".into()));
    }
    Ok(files)
}

/// A relative path of named components (no `.`, `..`, empty or absolute parts).
pub fn plain(path: &str) -> bool {
    !path.is_empty() && path.split('/').all(|c| !c.is_empty() && c != "." && c != "..") && !path.contains('\\')
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn files(entries: &[(&str, &[u8])]) -> Files {
        entries.iter().map(|(p, b)| (p.to_string(), b.to_vec())).collect()
    }

    #[test]
    fn the_same_files_give_the_same_bytes_and_read_back() {
        let long = format!("scenarios/realistic-day/messages/{}.eml", "ab".repeat(32));
        let f = files(&[("manifest.json", b"{}"), ("b/c.txt", b"x"), (&long, b"bytes"), ("empty", b"")]);
        let a = write(&f).unwrap();
        assert_eq!(a, write(&f.clone()).unwrap());
        assert_eq!(read(&a).unwrap(), f);
    }

    #[test]
    fn garbage_and_truncation_are_unreadable() {
        assert!(matches!(read(b"not an archive"), Err(ArchiveError::Unreadable(_))));
        let a = write(&files(&[("a", &[7u8; 5000])])).unwrap();
        assert!(read(&a[..a.len() / 2]).is_err());
    }

    #[test]
    fn folders_and_a_leading_dot_are_passed_over() {
        let gz = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
        let mut tar = tar::Builder::new(gz);
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        tar.append_data(&mut dir, "./", &[][..]).unwrap();
        let mut file = tar::Header::new_gnu();
        file.set_size(1);
        tar.append_data(&mut file, "./a/b", &b"x"[..]).unwrap();
        let bytes = tar.into_inner().unwrap().finish().unwrap();
        assert_eq!(read(&bytes).unwrap(), files(&[("a/b", b"x")]));
    }

    #[test]
    fn only_plain_relative_paths() {
        assert!(plain("fixtures/scenarios/a.toml"));
        for bad in ["", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b"] {
            assert!(!plain(bad), "{bad}");
        }
    }

    quickcheck! {
        fn any_files_round_trip(entries: Vec<(u8, Vec<u8>)>) -> bool {
            let f: Files = entries.into_iter().map(|(n, b)| (format!("d{}/f{n}", n % 3), b)).collect();
            f.is_empty() || read(&write(&f).unwrap()).unwrap() == f
        }
    }
}
