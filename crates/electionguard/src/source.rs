//! The files of a record, read whole from a directory or a `.zip` archive, as they are.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// At most this many files are read from a record.
const MAX_FILES: usize = 200_000;
/// At most this many bytes in all, so a hostile archive cannot exhaust memory.
const MAX_TOTAL_BYTES: u64 = 4 << 30;

/// The files of one record: paths relative to the record's root, `/`-separated.
pub struct Files {
    /// Where the record was read from (for messages).
    pub origin: PathBuf,
    files: BTreeMap<String, Vec<u8>>,
}

impl Files {
    /// Read every file under `path` (a directory or a zip archive). If the record's files sit
    /// in a subfolder (e.g. `election_record/` beside `election_private_data/`), that folder
    /// becomes the root and everything outside it (private data) is dropped.
    pub fn read(path: &Path) -> Result<Files> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = fs::metadata(path).map_err(io)?;
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        if meta.is_dir() {
            read_dir(path, "", &mut files, &mut total)?;
        } else {
            read_zip(path, &mut files, &mut total)?;
        }
        let root = record_root(&files).ok_or_else(|| {
            Error::NotElectionGuard(format!(
                "{} holds no manifest.json beside context.json and constants.json (ElectionGuard 1.x) or election_config.json and election_initialized.json (2.0)",
                path.display()
            ))
        })?;
        let files = files
            .into_iter()
            .filter_map(|(name, bytes)| {
                name.strip_prefix(&root)
                    .map(|rest| (rest.to_string(), bytes))
            })
            .collect();
        Ok(Files {
            origin: path.to_path_buf(),
            files,
        })
    }

    /// Whether the record has this file.
    pub fn has(&self, name: &str) -> bool {
        self.files.contains_key(name)
    }

    /// The bytes of one file.
    pub fn get(&self, name: &str) -> Result<&[u8]> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| Error::Missing(name.to_string()))
    }

    /// The names of the files directly or indirectly under `folder` ending in `.json`, sorted.
    pub fn json_under(&self, folder: &str) -> Vec<&str> {
        let prefix = format!("{folder}/");
        self.files
            .keys()
            .filter(|name| name.starts_with(&prefix) && name.ends_with(".json"))
            .map(String::as_str)
            .collect()
    }

    /// Parse one file as JSON.
    pub fn json(&self, name: &str) -> Result<serde_json::Value> {
        serde_json::from_slice(self.get(name)?).map_err(|source| Error::Json {
            file: name.to_string(),
            source,
        })
    }

    /// Replace or add a file (used by tests and tools that build modified copies in memory).
    pub fn insert(&mut self, name: &str, bytes: Vec<u8>) {
        self.files.insert(name.to_string(), bytes);
    }

    /// Drop a file (used, like [`Files::insert`], to build modified copies in memory).
    pub fn remove(&mut self, name: &str) -> Option<Vec<u8>> {
        self.files.remove(name)
    }
}

fn add(
    files: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
    name: String,
    bytes: Vec<u8>,
) -> Result<()> {
    *total += bytes.len() as u64;
    if files.len() >= MAX_FILES || *total > MAX_TOTAL_BYTES {
        return Err(Error::TooLarge(format!(
            "the record has more than {MAX_FILES} files or {MAX_TOTAL_BYTES} bytes"
        )));
    }
    files.insert(name, bytes);
    Ok(())
}

fn read_dir(
    dir: &Path,
    prefix: &str,
    files: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
) -> Result<()> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(io(&path))?;
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if kind.is_dir() {
            read_dir(&path, &format!("{name}/"), files, total)?;
        } else if kind.is_file() && name.ends_with(".json") {
            let bytes = fs::read(&path).map_err(io(&path))?;
            add(files, total, name, bytes)?;
        }
    }
    Ok(())
}

fn read_zip(path: &Path, files: &mut BTreeMap<String, Vec<u8>>, total: &mut u64) -> Result<()> {
    let zip_err = |source| Error::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_err)?;
        let Some(name) = entry
            .enclosed_name()
            .map(|p| p.to_string_lossy().replace('\\', "/"))
        else {
            continue;
        };
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        let mut bytes = Vec::new();
        // The declared size is not trusted: the read itself is bounded.
        (&mut entry)
            .take(MAX_TOTAL_BYTES - *total + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io {
                path: path.join(&name),
                source,
            })?;
        add(files, total, name, bytes)?;
    }
    Ok(())
}

/// Whether `path` looks like an ElectionGuard record, from its file names alone: a directory
/// (or its `election_record/` folder) or a zip archive with `manifest.json` beside one of the
/// [`SIGNATURES`]. Nothing is parsed, so this is cheap enough to decide which verifier to run.
pub fn looks_like(path: &Path) -> bool {
    if path.is_dir() {
        // A fairtally record also has manifest.json and context.json; its header record.json
        // (which no ElectionGuard layout has) tells them apart.
        if path.join("record.json").is_file() {
            return false;
        }
        return [path.to_path_buf(), path.join("election_record")]
            .iter()
            .any(|dir| {
                dir.join("manifest.json").is_file()
                    && SIGNATURES
                        .iter()
                        .any(|files| files.iter().all(|f| dir.join(f).is_file()))
            });
    }
    let Ok(file) = fs::File::open(path) else {
        return false;
    };
    let Ok(archive) = zip::ZipArchive::new(file) else {
        return false;
    };
    let names: BTreeMap<String, Vec<u8>> = archive
        .file_names()
        .filter_map(|n| n.ok())
        .map(|n| (n.to_string(), Vec::new()))
        .collect();
    record_root(&names).is_some()
}

/// The files beside `manifest.json` that make a folder an ElectionGuard record: 1.x's, then
/// 2.0's. (A fairtally record also has `manifest.json` and `context.json`, but no
/// `constants.json`.)
const SIGNATURES: [[&str; 2]; 2] = [
    ["context.json", "constants.json"],
    ["election_config.json", "election_initialized.json"],
];

/// The shortest folder prefix holding `manifest.json` and one of the [`SIGNATURES`].
fn record_root(files: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    files
        .keys()
        .filter_map(|name| name.strip_suffix("manifest.json"))
        .filter(|prefix| prefix.is_empty() || prefix.ends_with('/'))
        .filter(|prefix| {
            SIGNATURES.iter().any(|sig| {
                sig.iter()
                    .all(|f| files.contains_key(&format!("{prefix}{f}")))
            })
        })
        .min_by_key(|prefix| prefix.len())
        .map(str::to_string)
}
