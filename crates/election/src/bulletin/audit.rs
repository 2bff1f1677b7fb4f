//! The full audit of a record's board directory (`RECORD/board/`, a static mirror in the C2SP
//! tlog-tiles layout), tied to the signed checkpoint: every entry bundle is read and hashed,
//! the tree is rebuilt from those leaves alone, its root must be the checkpoint's, and then
//! every other file (every hash tile at every level, full or partial, every partial bundle of
//! an earlier size, every archived checkpoint, the policy) must be exactly what that tree and
//! the election's policy say. Any other file is unexpected. What passes yields the board's
//! entries in order, by kind.
//!
//! This is the one place where the verifier touches the board's file layout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fairtally_board::checkpoint::{SignedCheckpoint, TrustPolicy};
use fairtally_board::entry::Entry;
use fairtally_board::merkle::{HASH_LEN, Hash, MemoryTree, NodeSource, leaf_hash, root_at};
use fairtally_board::tiles::{TILE_HEIGHT, TILE_WIDTH, tile_path};

use crate::error::{ElectionError, Result};

/// The largest checkpoint or policy file read (they are a few hundred bytes).
const MAX_NOTE_BYTES: u64 = 64 << 10;
/// The largest tile or bundle file read (256 entries of at most 64 KiB each).
const MAX_TILE_BYTES: u64 = TILE_WIDTH * (2 + u16::MAX as u64);

/// One entry of the board, as the audit found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoardEntry {
    /// Its index in the log.
    pub index: u64,
    /// Its leaf hash (RFC 9162).
    pub leaf_hash: Hash,
}

/// What the audit of a board directory found.
#[derive(Clone, Debug)]
pub struct BoardAudit {
    /// The latest checkpoint, verified under the policy (`None` when it is missing or does not
    /// verify: then nothing else of the board can be trusted).
    pub checkpoint: Option<SignedCheckpoint>,
    /// The board's entries under the checkpoint, per entry kind, in log order.
    pub entries: BTreeMap<String, Vec<BoardEntry>>,
    /// Files checked and found right.
    pub files: u64,
    /// Every problem, each naming the file (relative to the board directory) and the reason.
    pub problems: Vec<(String, String)>,
}

impl BoardAudit {
    /// The entries of `kind`, in log order.
    pub fn of_kind(&self, kind: &str) -> &[BoardEntry] {
        self.entries
            .get(kind)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    fn problem(&mut self, file: impl Into<String>, reason: impl Into<String>) {
        self.problems.push((file.into(), reason.into()));
    }
}

/// What a file of the board directory is, by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BoardFile {
    Checkpoint,
    Policy,
    Archived(u64),
    /// A hash tile (`Some(tile level)`) or an entry bundle (`None`), index and width.
    Tile(Option<u8>, u64, u64),
}

/// Audits the board directory `dir` against `policy` (the election's, from its parameters).
pub fn audit_board(dir: &Path, policy: &TrustPolicy) -> Result<BoardAudit> {
    let mut audit = BoardAudit {
        checkpoint: None,
        entries: BTreeMap::new(),
        files: 0,
        problems: Vec::new(),
    };
    let mut files = Vec::new();
    list_files(dir, dir, &mut files)?;
    let mut classified = Vec::new();
    for relative in files {
        match classify(&relative) {
            Some(kind) => classified.push((relative, kind)),
            None => audit.problem(relative, "unexpected file in the board directory"),
        }
    }
    let Some(latest) = read_latest(dir, policy, &mut audit)? else {
        return Ok(audit);
    };
    let size = latest.checkpoint().size;

    // The tree from the entry bundles of the checkpoint's size alone.
    let mut tree = MemoryTree::new();
    let mut complete = true;
    for bundle in 0..size.div_ceil(TILE_WIDTH) {
        let width = (size - bundle * TILE_WIDTH).min(TILE_WIDTH);
        let name = tile_path(None, bundle, width);
        let bytes = read_bounded(&dir.join(&name), MAX_TILE_BYTES).map_err(|e| e.to_string());
        let leaves = bytes
            .as_deref()
            .map_err(Clone::clone)
            .and_then(|b| parse_bundle(b, width));
        match leaves {
            Ok(leaves) => {
                for (i, data) in leaves.into_iter().enumerate() {
                    let index = bundle * TILE_WIDTH + i as u64;
                    let hash = leaf_hash(data);
                    match Entry::from_leaf_data(data, &format!("{name}: entry {index}")) {
                        Ok(entry) => audit
                            .entries
                            .entry(entry.kind().as_str().to_owned())
                            .or_default()
                            .push(BoardEntry {
                                index,
                                leaf_hash: hash,
                            }),
                        Err(e) => audit.problem(&name, e.to_string()),
                    }
                    tree.push(hash);
                }
            }
            Err(reason) => {
                audit.problem(&name, reason);
                complete = false;
                break;
            }
        }
    }
    if !complete {
        audit.checkpoint = Some(latest);
        return Ok(audit);
    }
    if tree.root() != latest.checkpoint().root {
        audit.problem(
            "checkpoint",
            format!(
                "the entry bundles do not hash to the root of the signed {}",
                latest.checkpoint()
            ),
        );
    }

    // Every file the checkpoint's size needs must be there.
    for (level, count) in levels(size) {
        for index in 0..count.div_ceil(TILE_WIDTH) {
            let width = (count - index * TILE_WIDTH).min(TILE_WIDTH);
            let needed = BoardFile::Tile(level, index, width);
            if !classified.iter().any(|(_, kind)| *kind == needed) {
                audit.problem(
                    tile_path(level, index, width),
                    "missing: the checkpoint's tree needs it",
                );
            }
        }
    }
    for (relative, kind) in classified {
        let checked = match kind {
            BoardFile::Checkpoint => Ok(()),
            BoardFile::Policy => check_policy(dir, &relative, policy),
            BoardFile::Archived(at) => {
                check_archived(dir, &relative, at, policy, &latest, &mut tree)
            }
            BoardFile::Tile(level, index, width) => {
                check_tile(dir, &relative, level, index, width, size, &mut tree)
            }
        };
        match checked {
            Ok(()) => audit.files += 1,
            Err(reason) => audit.problem(relative, reason),
        }
    }
    audit.checkpoint = Some(latest);
    Ok(audit)
}

/// The tile levels of a tree of `size` leaves: `None` for the entry bundles, then each hash
/// tile level with its number of nodes.
fn levels(size: u64) -> Vec<(Option<u8>, u64)> {
    let mut out = vec![(None, size)];
    for level in 0..8u8 {
        let count = size >> (u32::from(level) * u32::from(TILE_HEIGHT));
        if count == 0 {
            break;
        }
        out.push((Some(level), count));
    }
    out
}

/// Reads, parses and verifies `checkpoint` strictly: its bytes are its canonical text, and
/// every signature line is by a key the policy names (none is ignored).
fn read_latest(
    dir: &Path,
    policy: &TrustPolicy,
    audit: &mut BoardAudit,
) -> Result<Option<SignedCheckpoint>> {
    match read_note(dir, "checkpoint", policy, false) {
        Ok(signed) => {
            audit.files += 1;
            Ok(Some(signed))
        }
        Err(reason) => {
            audit.problem("checkpoint", reason);
            Ok(None)
        }
    }
}

fn read_note(
    dir: &Path,
    relative: &str,
    policy: &TrustPolicy,
    archived: bool,
) -> std::result::Result<SignedCheckpoint, String> {
    let bytes = read_bounded(&dir.join(relative), MAX_NOTE_BYTES).map_err(|e| e.to_string())?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    let signed = SignedCheckpoint::parse(&text, relative).map_err(|e| e.to_string())?;
    if signed.to_text() != text {
        return Err("not in its canonical signed-note form".into());
    }
    // Archived checkpoints carry the witnesses' cosignatures collected so far: the operator's
    // signature is required, the quorum only of the latest.
    let rule = if archived {
        policy.operator_signature_only()
    } else {
        policy.clone()
    };
    rule.verify(&signed).map_err(|e| e.to_string())?;
    let known = |s: &fairtally_board::note::NoteSignature| {
        policy.operator.matches(s) || policy.witnesses.iter().any(|w| w.matches(s))
    };
    if let Some(stranger) = signed.note().signatures().iter().find(|s| !known(s)) {
        return Err(format!(
            "signature line by {:?} is not by a key of the election's board policy",
            stranger.name
        ));
    }
    Ok(signed)
}

fn check_policy(
    dir: &Path,
    relative: &str,
    policy: &TrustPolicy,
) -> std::result::Result<(), String> {
    let bytes = read_bounded(&dir.join(relative), MAX_NOTE_BYTES).map_err(|e| e.to_string())?;
    if bytes == policy.to_text().as_bytes() {
        Ok(())
    } else {
        Err("differs from the board policy in the election's parameters".into())
    }
}

fn check_archived(
    dir: &Path,
    relative: &str,
    at: u64,
    policy: &TrustPolicy,
    latest: &SignedCheckpoint,
    tree: &mut MemoryTree,
) -> std::result::Result<(), String> {
    let signed = read_note(dir, relative, policy, true)?;
    let cp = signed.checkpoint();
    if cp.size != at {
        return Err(format!("holds a checkpoint of size {}, not {at}", cp.size));
    }
    if at > latest.checkpoint().size {
        return Err(format!("is past the latest {}", latest.checkpoint()));
    }
    let root = root_at(tree, at).map_err(|e| e.to_string())?;
    if root != cp.root {
        return Err(format!(
            "its root is not the root of the first {at} entries of the board: the log was \
             rewritten since it was signed"
        ));
    }
    Ok(())
}

fn check_tile(
    dir: &Path,
    relative: &str,
    level: Option<u8>,
    index: u64,
    width: u64,
    size: u64,
    tree: &mut MemoryTree,
) -> std::result::Result<(), String> {
    let tree_level = level.map_or(0, |l| l * TILE_HEIGHT);
    let count = size >> u32::from(tree_level);
    let first = index * TILE_WIDTH;
    if first + width > count {
        return Err(format!(
            "covers nodes {first}..{} of tree level {tree_level}, past the checkpoint's {count}",
            first + width
        ));
    }
    let bytes = read_bounded(&dir.join(relative), MAX_TILE_BYTES).map_err(|e| e.to_string())?;
    let mut expected = Vec::with_capacity(width as usize * HASH_LEN);
    for i in first..first + width {
        expected.extend_from_slice(&tree.node(tree_level, i).map_err(|e| e.to_string())?);
    }
    match level {
        Some(_) if bytes == expected => Ok(()),
        Some(_) => Err("differs from the tree rebuilt from the entry bundles".into()),
        None => {
            let leaves = parse_bundle(&bytes, width)?;
            let hashes: Vec<u8> = leaves.iter().flat_map(|d| leaf_hash(d)).collect();
            if hashes == expected {
                Ok(())
            } else {
                Err("its entries differ from the board's entries under the checkpoint".into())
            }
        }
    }
}

/// The leaf data of the `width` entries of a bundle (each a big-endian u16 length and the
/// data), which must fill the file exactly.
fn parse_bundle(bytes: &[u8], width: u64) -> std::result::Result<Vec<&[u8]>, String> {
    let mut rest = bytes;
    let mut out = Vec::with_capacity(width as usize);
    for i in 0..width {
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            return Err(format!("entry {i} of {width} is missing"));
        };
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return Err(format!("entry {i} of {width} is truncated"));
        }
        let (data, tail) = tail.split_at(len);
        out.push(data);
        rest = tail;
    }
    if rest.is_empty() {
        Ok(out)
    } else {
        Err(format!("{} bytes after its {width} entries", rest.len()))
    }
}

/// What the file at `relative` (with `/` separators) is, if it is a file a board publishes.
fn classify(relative: &str) -> Option<BoardFile> {
    match relative {
        "checkpoint" => return Some(BoardFile::Checkpoint),
        "policy" => return Some(BoardFile::Policy),
        _ => {}
    }
    if let Some(size) = relative.strip_prefix("checkpoints/") {
        let canonical = size == "0" || !size.starts_with('0');
        let size: u64 = size
            .parse()
            .ok()
            .filter(|_| canonical && size.bytes().all(|b| b.is_ascii_digit()))?;
        return Some(BoardFile::Archived(size));
    }
    let rest = relative.strip_prefix("tile/")?;
    let (level, rest) = rest.split_once('/')?;
    let level = match level {
        "entries" => None,
        digits => Some(digits.parse::<u8>().ok().filter(|l| *l < 8)?),
    };
    let (path, width) = match rest.rsplit_once(".p/") {
        Some((path, width)) => (path, width.parse::<u64>().ok()?),
        None => (rest, TILE_WIDTH),
    };
    let digits: String = path.split('/').map(|g| g.trim_start_matches('x')).collect();
    let index: u64 = digits.parse().ok()?;
    // Only the one spelling the layout gives (no leading zeros beyond the groups, no stray x).
    let file = BoardFile::Tile(level, index, width);
    (width >= 1 && width <= TILE_WIDTH && tile_path(level, index, width) == relative)
        .then_some(file)
}

/// Every file under `dir`, as paths relative to `root` with `/` separators. Anything that is
/// neither a file nor a directory (a link, a device) is listed too, to be reported.
fn list_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| ElectionError::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| ElectionError::io(dir, e))?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| ElectionError::io(&path, e))?;
        if kind.is_dir() {
            list_files(root, &path, out)?;
        } else {
            out.push(relative_name(root, &path));
        }
    }
    Ok(())
}

fn relative_name(root: &Path, path: &Path) -> String {
    let relative: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| ElectionError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ElectionError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(ElectionError::parse(
            path,
            None,
            format!("larger than the {max} bytes such a file can hold"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_layouts_own_names_are_board_files() {
        assert_eq!(classify("checkpoint"), Some(BoardFile::Checkpoint));
        assert_eq!(classify("checkpoints/17"), Some(BoardFile::Archived(17)));
        assert_eq!(classify("checkpoints/017"), None);
        assert_eq!(
            classify("tile/0/x001/234"),
            Some(BoardFile::Tile(Some(0), 1234, 256))
        );
        assert_eq!(
            classify("tile/entries/005.p/17"),
            Some(BoardFile::Tile(None, 5, 17))
        );
        for odd in [
            "tile/0/5",
            "tile/0/005.p/256",
            "tile/0/005.p/0",
            "tile/9/000",
            "tile/0/x000/005",
            "notes.txt",
            "checkpoint~",
        ] {
            assert_eq!(classify(odd), None, "{odd}");
        }
    }
}
