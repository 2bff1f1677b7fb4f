//! The election record: a directory of canonical JSON files that holds everything a verifier
//! needs and nothing secret.
//!
//! Every item of the record has a [`ItemKind`] and canonical bytes (compact JSON with fields in
//! their documented order), so each can later be stored as one entry of the bulletin board.
//! Ballots are JSON Lines (`ballots.jsonl`), one ballot per line, so that a verifier streams them
//! and its memory does not grow with their number. `docs/PROTOCOL.md` documents every file.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{ElectionError, Result};

/// The version of the record format this crate writes and verifies.
pub const RECORD_VERSION: u32 = 2;
/// The format name stored in `record.json`.
pub const RECORD_FORMAT: &str = "fairtally-election-record";

/// File names inside a record directory.
pub mod files {
    /// Format and version of the record.
    pub const HEADER: &str = "record.json";
    /// The manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// Number of guardians and threshold.
    pub const PARAMETERS: &str = "parameters.json";
    /// One guardian's public commitments and proofs per line, in guardian order.
    pub const GUARDIANS: &str = "guardians.jsonl";
    /// The key ceremony's encrypted share messages, one per line, by sender then recipient.
    pub const CEREMONY_SHARES: &str = "ceremony-shares.jsonl";
    /// The key ceremony's complaints, one per line, by sender then recipient (empty when the
    /// ceremony succeeded).
    pub const CEREMONY_COMPLAINTS: &str = "ceremony-complaints.jsonl";
    /// One credential public key per line.
    pub const CREDENTIALS: &str = "credentials.jsonl";
    /// The election context: base hash and joint key.
    pub const CONTEXT: &str = "context.json";
    /// One signed ballot per line, in the order the ballot box received them.
    pub const BALLOTS: &str = "ballots.jsonl";
    /// The homomorphic sum of the counted ballots.
    pub const ENCRYPTED_TALLY: &str = "encrypted-tally.json";
    /// One guardian's decryption share per line.
    pub const DECRYPTION_SHARES: &str = "decryption-shares.jsonl";
    /// The published result.
    pub const RESULT: &str = "result.json";

    /// Every file of a complete record, in publication order.
    pub const ALL: [&str; 12] = [
        HEADER,
        MANIFEST,
        PARAMETERS,
        GUARDIANS,
        CEREMONY_SHARES,
        CEREMONY_COMPLAINTS,
        CREDENTIALS,
        CONTEXT,
        BALLOTS,
        ENCRYPTED_TALLY,
        DECRYPTION_SHARES,
        RESULT,
    ];

    /// The files written after the encrypted tally (by the guardians and at publication).
    pub const AFTER_TALLY: [&str; 2] = [DECRYPTION_SHARES, RESULT];
}

/// The kinds of item an election record holds; each is one kind of bulletin-board entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ItemKind {
    /// [`RecordHeader`].
    Header,
    /// [`crate::manifest::Manifest`].
    Manifest,
    /// [`crate::parameters::ElectionParameters`].
    Parameters,
    /// [`crate::guardian::GuardianPublic`].
    Guardian,
    /// [`crate::ceremony::ShareMessage`].
    ShareMessage,
    /// [`crate::ceremony::Complaint`].
    Complaint,
    /// [`crate::credential::CredentialKey`].
    Credential,
    /// [`crate::context::ElectionContext`].
    Context,
    /// [`crate::ballot::BallotEntry`].
    Ballot,
    /// [`crate::tally::EncryptedTally`].
    EncryptedTally,
    /// [`crate::tally::DecryptionShare`].
    DecryptionShare,
    /// [`crate::tally::ElectionResult`].
    Result,
}

impl ItemKind {
    /// Every kind, in publication order.
    pub const ALL: [ItemKind; 12] = [
        ItemKind::Header,
        ItemKind::Manifest,
        ItemKind::Parameters,
        ItemKind::Guardian,
        ItemKind::ShareMessage,
        ItemKind::Complaint,
        ItemKind::Credential,
        ItemKind::Context,
        ItemKind::Ballot,
        ItemKind::EncryptedTally,
        ItemKind::DecryptionShare,
        ItemKind::Result,
    ];

    /// The kind's name as stored with a board entry, e.g. `"ballot"`.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Header => "record-header",
            ItemKind::Manifest => "manifest",
            ItemKind::Parameters => "parameters",
            ItemKind::Guardian => "guardian",
            ItemKind::ShareMessage => "share-message",
            ItemKind::Complaint => "complaint",
            ItemKind::Credential => "credential",
            ItemKind::Context => "context",
            ItemKind::Ballot => "ballot",
            ItemKind::EncryptedTally => "encrypted-tally",
            ItemKind::DecryptionShare => "decryption-share",
            ItemKind::Result => "result",
        }
    }
}

/// An item of the election record: it has a kind and canonical bytes.
pub trait RecordItem: Serialize + DeserializeOwned {
    /// Which kind of item this is.
    const KIND: ItemKind;

    /// The canonical bytes: compact JSON, fields in declaration order, hex in lowercase.
    fn canonical_bytes(&self) -> Result<Vec<u8>> {
        canonical_json(self)
    }
}

/// `record.json`: the record's format name and version.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordHeader {
    /// Always [`RECORD_FORMAT`].
    pub format: String,
    /// Always [`RECORD_VERSION`] for records this version writes.
    pub version: u32,
}

impl RecordHeader {
    /// The header of the current format.
    pub fn current() -> Self {
        RecordHeader {
            format: RECORD_FORMAT.into(),
            version: RECORD_VERSION,
        }
    }
}

impl RecordItem for RecordHeader {
    const KIND: ItemKind = ItemKind::Header;
}

/// Compact JSON of a value: its canonical bytes. Fails (instead of producing some other
/// bytes) if the value cannot be serialized, e.g. a map with non-string keys.
pub fn canonical_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value)
        .map_err(|e| ElectionError::Record(format!("cannot encode an item as JSON: {e}")))
}

/// The pretty JSON of a value as a record file holds it: two-space indentation, members in
/// their documented order, one final line end. A record's `.json` files must be exactly this.
pub fn pretty_json<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut text = serde_json::to_vec_pretty(value)
        .map_err(|e| ElectionError::Record(format!("cannot encode an item as JSON: {e}")))?;
    text.push(b'\n');
    Ok(text)
}

/// The largest single-item JSON file read (a manifest, a tally, a ballot file).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| ElectionError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ElectionError::io(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ElectionError::parse(
            path,
            None,
            format!("the file is larger than {MAX_FILE_BYTES} bytes"),
        ));
    }
    Ok(bytes)
}

/// Read and parse one JSON file written by a person or another program (any layout).
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read_bounded(path)?;
    serde_json::from_slice(&bytes).map_err(|e| ElectionError::parse(path, None, e))
}

/// Read one `.json` file of an election record: it must parse and be byte for byte its
/// canonical pretty form ([`pretty_json`]), so that no byte of the record goes unchecked.
pub fn read_record_json<T: Serialize + DeserializeOwned>(path: &Path) -> Result<T> {
    let bytes = read_bounded(path)?;
    let value: T =
        serde_json::from_slice(&bytes).map_err(|e| ElectionError::parse(path, None, e))?;
    if pretty_json(&value)? != bytes {
        return Err(ElectionError::parse(
            path,
            None,
            "the file is not in its canonical form (the pretty JSON fairtally writes: two-space \
             indentation, members in the documented order, one final line end)",
        ));
    }
    Ok(value)
}

/// Who may read a file fairtally writes (the durable-write helper's own type).
pub use fairtally_files::Access;

/// Write one value as pretty JSON (for people; the hashed form is [`canonical_json`]).
pub fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    write_json_with(path, value, Access::Public)
}

/// Write one secret value as pretty JSON, readable by its owner only.
pub fn write_secret_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<()> {
    write_json_with(path, value, Access::OwnerOnly)
}

fn write_json_with<T: Serialize + ?Sized>(path: &Path, value: &T, access: Access) -> Result<()> {
    write_file_atomically(path, &pretty_json(value)?, access)
}

/// Write a file through a synced temporary sibling and a rename (with `fairtally_files`), so
/// that a crash never leaves a half-written file in place of a good one.
pub fn write_file_atomically(path: &Path, bytes: &[u8], access: Access) -> Result<()> {
    fairtally_files::write_atomic(path, bytes, access)
        .map_err(|e| ElectionError::io(&e.path, e.source))
}

/// Writes JSON Lines: one canonical JSON value per line.
pub struct JsonLinesWriter {
    path: PathBuf,
    out: BufWriter<Sink>,
}

/// Where a [`JsonLinesWriter`] writes: a new file that replaces the old one only when it is
/// finished (through `fairtally_files`), or the end of an existing file.
enum Sink {
    Replace(fairtally_files::AtomicFile),
    Append(File),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Replace(file) => file.write(buf),
            Sink::Append(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Replace(file) => file.flush(),
            Sink::Append(file) => file.flush(),
        }
    }
}

impl JsonLinesWriter {
    /// Starts replacing `path` with a list of public items; the old file stays until
    /// [`JsonLinesWriter::finish`].
    pub fn create(path: &Path) -> Result<Self> {
        Self::create_with(path, Access::Public)
    }

    /// Starts replacing `path` with the given access (secret lists are owner-only from the
    /// first byte); the old file stays until [`JsonLinesWriter::finish`].
    pub fn create_with(path: &Path, access: Access) -> Result<Self> {
        let file = fairtally_files::AtomicFile::create(path, access)
            .map_err(|e| ElectionError::io(&e.path, e.source))?;
        Ok(JsonLinesWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(Sink::Replace(file)),
        })
    }

    /// Open `path` for appending (creating it if needed).
    pub fn append(path: &Path) -> Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| ElectionError::io(path, e))?;
        Ok(JsonLinesWriter {
            path: path.to_path_buf(),
            out: BufWriter::new(Sink::Append(file)),
        })
    }

    /// Append one value as a line.
    pub fn write<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let mut line = canonical_json(value)?;
        line.push(b'\n');
        self.out
            .write_all(&line)
            .map_err(|e| ElectionError::io(&self.path, e))
    }

    /// Flushes to disk: a new list replaces the old file now, an appended one is synced.
    pub fn finish(self) -> Result<()> {
        let path = self.path;
        let sink = self
            .out
            .into_inner()
            .map_err(|e| ElectionError::io(&path, e.into_error()))?;
        match sink {
            Sink::Replace(file) => file
                .commit()
                .map_err(|e| ElectionError::io(&e.path, e.source)),
            Sink::Append(file) => file.sync_all().map_err(|e| ElectionError::io(&path, e)),
        }
    }
}

/// The longest line accepted in a JSON Lines file (a demo ballot is about 10 KiB).
pub const MAX_LINE_BYTES: u64 = 16 << 20;

/// Reads JSON Lines one line at a time, with line numbers for errors.
pub struct JsonLinesReader {
    path: PathBuf,
    input: BufReader<File>,
    line: u64,
}

impl JsonLinesReader {
    /// Open `path`.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| ElectionError::io(path, e))?;
        Ok(JsonLinesReader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 20, file),
            line: 0,
        })
    }

    /// The file being read.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next raw line (with its line end) and its number (1-based), or `None` at the end of
    /// the file. Every line counts: an empty line, a carriage return or a last line without its
    /// line end (a file cut short) is an error naming the line.
    pub fn next_raw(&mut self) -> Result<Option<(u64, String)>> {
        let mut text = String::new();
        // Bounded, so that a file without line ends cannot exhaust memory.
        let mut limited = (&mut self.input).take(MAX_LINE_BYTES + 1);
        let read = limited.read_line(&mut text).map_err(|e| {
            ElectionError::parse(
                &self.path,
                Some(self.line + 1),
                format!("unreadable line: {e}"),
            )
        })?;
        if read == 0 {
            return Ok(None);
        }
        self.line += 1;
        let bad = if read as u64 > MAX_LINE_BYTES {
            Some(format!("the line is longer than {MAX_LINE_BYTES} bytes"))
        } else if !text.ends_with('\n') {
            Some("the last line has no line end: the file is truncated".to_owned())
        } else if text == "\n" {
            Some("the line is empty".to_owned())
        } else if text.contains('\r') {
            Some("the line holds a carriage return (lines end with LF alone)".to_owned())
        } else {
            None
        };
        match bad {
            Some(reason) => Err(ElectionError::parse(&self.path, Some(self.line), reason)),
            None => Ok(Some((self.line, text))),
        }
    }

    /// The next value, parsed from a canonical line, with its line number.
    pub fn next_item<T: Serialize + DeserializeOwned>(&mut self) -> Result<Option<(u64, T)>> {
        match self.next_raw()? {
            None => Ok(None),
            Some((line, text)) => {
                let value = parse_line(&self.path, line, &text)?;
                Ok(Some((line, value)))
            }
        }
    }

    /// Read every remaining value (for small files: guardians, shares).
    pub fn read_all<T: Serialize + DeserializeOwned>(mut self) -> Result<Vec<T>> {
        let mut items = Vec::new();
        while let Some((_, item)) = self.next_item()? {
            items.push(item);
        }
        Ok(items)
    }
}

/// Parse one JSON Lines line of `path` (with or without its line end). The line must be
/// exactly the value's canonical JSON ([`canonical_json`]): compact, members in their
/// documented order, no other spelling of the same value.
pub fn parse_line<T: Serialize + DeserializeOwned>(
    path: &Path,
    line: u64,
    text: &str,
) -> Result<T> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let value: T =
        serde_json::from_str(text).map_err(|e| ElectionError::parse(path, Some(line), e))?;
    if canonical_json(&value)? != text.as_bytes() {
        return Err(ElectionError::parse(
            path,
            Some(line),
            "the line is not in canonical form (compact JSON, members in the documented order, \
             exactly as fairtally writes it)",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn secrets_are_readable_by_their_owner_only() -> Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let mode = |name: &str| {
            std::fs::metadata(dir.path().join(name)).map(|m| m.permissions().mode() & 0o777)
        };
        write_secret_json(&dir.path().join("key.json"), &[1u8, 2])?;
        write_json(&dir.path().join("public.json"), &[1u8, 2])?;
        JsonLinesWriter::create_with(&dir.path().join("list.jsonl"), Access::OwnerOnly)?
            .finish()?;
        assert_eq!(mode("key.json").ok(), Some(0o600));
        assert_eq!(mode("list.jsonl").ok(), Some(0o600));
        assert_ne!(mode("public.json").ok(), Some(0o600));
        // Rewriting a secret keeps it owner-only.
        write_secret_json(&dir.path().join("key.json"), &[3u8])?;
        assert_eq!(mode("key.json").ok(), Some(0o600));
        Ok(())
    }

    #[test]
    fn json_lines_round_trip_and_truncation() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| ElectionError::io("tmp", e))?;
        let path = dir.path().join("x.jsonl");
        let mut w = JsonLinesWriter::create(&path)?;
        w.write(&vec![1u32, 2])?;
        w.write(&vec![3u32])?;
        w.finish()?;
        let items: Vec<Vec<u32>> = JsonLinesReader::open(&path)?.read_all()?;
        assert_eq!(items, vec![vec![1, 2], vec![3]]);

        std::fs::write(&path, "[1]\n[2").map_err(|e| ElectionError::io(&path, e))?;
        let err = JsonLinesReader::open(&path)?
            .read_all::<Vec<u32>>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("truncated"), "{err}");

        std::fs::write(&path, "[1]\n{oops\n").map_err(|e| ElectionError::io(&path, e))?;
        let err = JsonLinesReader::open(&path)?
            .read_all::<Vec<u32>>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 2") && err.contains("x.jsonl"), "{err}");

        let long = "x".repeat(MAX_LINE_BYTES as usize + 10);
        std::fs::write(&path, format!("[1]\n{long}\n")).map_err(|e| ElectionError::io(&path, e))?;
        let err = JsonLinesReader::open(&path)?
            .read_all::<Vec<u32>>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2") && err.contains("longer than"),
            "{err}"
        );

        let err = JsonLinesReader::open(&dir.path().join("missing.jsonl"))
            .err()
            .map(|e| e.to_string());
        assert!(err.unwrap_or_default().contains("missing.jsonl"));
        Ok(())
    }
}
