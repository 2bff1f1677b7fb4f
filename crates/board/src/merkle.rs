//! RFC 9162 Merkle tree hashing: leaf and node hashes, subtree hashes over a node store, and
//! the right-edge [`Frontier`] that lets a writer (or a bundle reader) extend a tree with only
//! O(log n) hashes in memory.
//!
//! A *node* `(level, index)` is the hash of the complete, aligned subtree over the leaves
//! `index * 2^level .. (index + 1) * 2^level`. Every other subtree hash the RFC needs (the
//! incomplete right edge of a tree) is computed from O(log n) nodes.

use sha2::{Digest, Sha256};

use crate::error::BoardError;

/// A SHA-256 hash: a leaf hash, a node hash or a tree root.
pub type Hash = [u8; 32];

/// Length of a [`Hash`](type@Hash) in bytes.
pub const HASH_LEN: usize = 32;

/// Root of the empty tree: SHA-256 of the empty string (RFC 9162, section 2.1.1).
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Hash of one leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Largest power of two strictly smaller than `n` (`n >= 2`): the RFC's split point `k`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Read access to the stored nodes of one tree: anything that can return the hash of the
/// complete subtree `(level, index)`. Implemented by the SQLite tile store, by the static-file
/// mirror reader and by in-memory trees in tests and benchmarks.
pub trait NodeSource {
    /// Hash of the complete subtree at `level` with the given `index` at that level.
    ///
    /// # Errors
    /// When the node is not stored (beyond the tree) or the storage fails.
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError>;
}

/// RFC 9162 `MTH(D[start:end])` for any range whose start is aligned to the largest power of two
/// not exceeding its length (every range the proof algorithms ask for is).
///
/// # Errors
/// Propagates the node source's errors.
pub fn subtree_hash<S: NodeSource + ?Sized>(
    nodes: &mut S,
    start: u64,
    end: u64,
) -> Result<Hash, BoardError> {
    let len = end - start;
    if len == 0 {
        return Ok(EMPTY_ROOT);
    }
    if len.is_power_of_two() && start.is_multiple_of(len) {
        return nodes.node(len.trailing_zeros() as u8, start / len);
    }
    let k = split_point(len);
    let left = subtree_hash(nodes, start, start + k)?;
    let right = subtree_hash(nodes, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the tree with `size` leaves.
///
/// # Errors
/// Propagates the node source's errors.
pub fn root_at<S: NodeSource + ?Sized>(nodes: &mut S, size: u64) -> Result<Hash, BoardError> {
    subtree_hash(nodes, 0, size)
}

/// The right edge of a tree: the hashes of its maximal complete subtrees, largest first (one per
/// set bit of the size). Enough to compute the root and to append leaves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    stack: Vec<Hash>,
}

/// A node that became complete when a leaf was appended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewNode {
    /// Level of the node (0 for the leaf itself).
    pub level: u8,
    /// Index of the node at its level.
    pub index: u64,
    /// Its hash.
    pub hash: Hash,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves in the tree.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The maximal complete subtree hashes, largest first.
    pub fn hashes(&self) -> &[Hash] {
        &self.stack
    }

    /// Rebuilds a frontier from its hashes (largest subtree first), as carried in a bundle.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] when the number of hashes is not the number of set bits of `size`.
    pub fn from_hashes(size: u64, hashes: Vec<Hash>) -> Result<Self, BoardError> {
        if hashes.len() != size.count_ones() as usize {
            return Err(BoardError::Malformed {
                item: "frontier".into(),
                reason: format!(
                    "a tree of {size} leaves has {} edge hashes, got {}",
                    size.count_ones(),
                    hashes.len()
                ),
            });
        }
        Ok(Self {
            size,
            stack: hashes,
        })
    }

    /// Reads the frontier of the tree of `size` leaves from a node store.
    ///
    /// # Errors
    /// Propagates the node source's errors.
    pub fn load<S: NodeSource + ?Sized>(nodes: &mut S, size: u64) -> Result<Self, BoardError> {
        let mut stack = Vec::with_capacity(size.count_ones() as usize);
        let mut start = 0;
        for level in (0..64u8).rev() {
            if size & (1 << level) != 0 {
                stack.push(nodes.node(level, start >> level)?);
                start += 1 << level;
            }
        }
        Ok(Self { size, stack })
    }

    /// Appends one leaf hash; calls `created` for every node that became complete (the leaf
    /// itself first, then its completed ancestors bottom-up).
    pub fn push(&mut self, leaf: Hash, mut created: impl FnMut(NewNode)) {
        let mut hash = leaf;
        let mut level = 0u8;
        let mut index = self.size;
        created(NewNode { level, index, hash });
        while index & 1 == 1 {
            let Some(left) = self.stack.pop() else { break };
            hash = node_hash(&left, &hash);
            level += 1;
            index >>= 1;
            created(NewNode { level, index, hash });
        }
        self.stack.push(hash);
        self.size += 1;
    }

    /// The root hash of the tree.
    pub fn root(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// A whole tree held in memory, level by level: for tests, benchmarks and small bundles.
#[derive(Clone, Debug, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
    frontier: Frontier,
}

impl MemoryTree {
    /// The empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let levels = &mut self.levels;
        self.frontier.push(leaf, |node| {
            let level = usize::from(node.level);
            if levels.len() <= level {
                levels.push(Vec::new());
            }
            levels[level].push(node.hash);
        });
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}

impl NodeSource for MemoryTree {
    fn node(&mut self, level: u8, index: u64) -> Result<Hash, BoardError> {
        self.levels
            .get(usize::from(level))
            .and_then(|row| row.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(BoardError::MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots_json() -> serde_json::Value {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/merkle/roots.json"
        );
        let text = std::fs::read_to_string(path).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    #[test]
    fn reproduces_the_published_roots() -> Result<(), BoardError> {
        let json = roots_json();
        let inputs: Vec<Vec<u8>> = json["leaf_inputs_hex"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| hex::decode(v.as_str()?).ok())
            .collect();
        let roots: Vec<String> = json["root_hex_by_size"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| Some(v.as_str()?.to_owned()))
            .collect();
        assert_eq!(inputs.len(), 8);
        assert_eq!(roots.len(), 9);
        let mut tree = MemoryTree::new();
        assert_eq!(hex::encode(tree.root()), roots[0]);
        for (n, input) in inputs.iter().enumerate() {
            tree.push(leaf_hash(input));
            assert_eq!(
                hex::encode(tree.root()),
                roots[n + 1],
                "root of size {}",
                n + 1
            );
            // The root from stored nodes agrees with the frontier's.
            assert_eq!(hex::encode(root_at(&mut tree, n as u64 + 1)?), roots[n + 1]);
        }
        Ok(())
    }

    #[test]
    fn frontier_round_trips_through_a_node_store() -> Result<(), BoardError> {
        let mut tree = MemoryTree::new();
        for i in 0..100u32 {
            tree.push(leaf_hash(&i.to_be_bytes()));
            let loaded = Frontier::load(&mut tree, u64::from(i) + 1)?;
            assert_eq!(loaded.root(), tree.root());
        }
        assert!(Frontier::from_hashes(5, vec![EMPTY_ROOT]).is_err());
        Ok(())
    }

    #[test]
    fn missing_node_is_an_error() {
        let mut tree = MemoryTree::new();
        tree.push(leaf_hash(b"a"));
        assert!(matches!(
            root_at(&mut tree, 2),
            Err(BoardError::MissingNode { level: 1, index: 0 })
        ));
    }
}
