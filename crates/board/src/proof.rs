//! Inclusion and consistency proofs (RFC 9162, sections 2.1.3 and 2.1.4): generation from any
//! [`NodeSource`] in O(log n) node reads, and verification.
//!
//! Verification takes byte slices, not typed hashes, so that it can be checked against the
//! published vectors byte for byte: a leaf hash or proof element of the wrong length is
//! rejected, and roots are compared as given.

pub use crate::error::ProofError;

use crate::error::BoardError;
use crate::merkle::{Hash, NodeSource, node_hash, split_point, subtree_hash};

/// Longest proof that can occur in a tree of at most 2^64 leaves; longer input is rejected
/// before any hashing.
const MAX_PROOF_LEN: usize = 64;

/// RFC 9162 `PATH(index, D[0:size])`: the inclusion proof of leaf `index` in the tree of `size`
/// leaves, the leaf's sibling first.
///
/// # Errors
/// [`BoardError::Proof`] when `index >= size`; otherwise the node source's errors.
pub fn inclusion_proof<S: NodeSource + ?Sized>(
    nodes: &mut S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, BoardError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size }.into());
    }
    let mut path = Vec::with_capacity(64 - size.leading_zeros() as usize);
    // Walk down from the whole tree to the leaf, collecting the sibling subtrees; the proof
    // lists them bottom-up, so reverse at the end.
    let (mut start, mut end) = (0, size);
    while end - start > 1 {
        let k = split_point(end - start);
        if index < start + k {
            path.push(subtree_hash(nodes, start + k, end)?);
            end = start + k;
        } else {
            path.push(subtree_hash(nodes, start, start + k)?);
            start += k;
        }
    }
    path.reverse();
    Ok(path)
}

/// RFC 9162 `PROOF(size1, D[0:size2])`: the consistency proof between the trees of `size1` and
/// `size2` leaves.
///
/// # Errors
/// [`BoardError::Proof`] unless `0 < size1 <= size2`; otherwise the node source's errors.
pub fn consistency_proof<S: NodeSource + ?Sized>(
    nodes: &mut S,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, BoardError> {
    check_sizes(size1, size2)?;
    let mut proof = Vec::new();
    // Iterative SUBPROOF(m, D[start:end], complete) collecting hashes top-down.
    let (mut m, mut start, mut end, mut complete) = (size1, 0, size2, true);
    while m != end - start {
        let k = split_point(end - start);
        if m <= k {
            proof.push(subtree_hash(nodes, start + k, end)?);
            end = start + k;
        } else {
            proof.push(subtree_hash(nodes, start, start + k)?);
            m -= k;
            start += k;
            complete = false;
        }
    }
    if !complete {
        proof.push(subtree_hash(nodes, start, end)?);
    }
    proof.reverse();
    Ok(proof)
}

fn check_sizes(size1: u64, size2: u64) -> Result<(), ProofError> {
    let reason = if size1 > size2 {
        "the older tree is larger than the newer one"
    } else if size1 == 0 {
        // Every tree extends the empty tree, so such a proof would prove nothing; a verifier
        // that has seen no checkpoint yet must say so rather than accept any proof.
        "consistency with the empty tree proves nothing"
    } else {
        return Ok(());
    };
    Err(ProofError::BadSizes {
        size1,
        size2,
        reason,
    })
}

fn to_hash(bytes: &[u8], what: impl FnOnce() -> String) -> Result<Hash, ProofError> {
    bytes.try_into().map_err(|_| ProofError::BadHashLength {
        what: what(),
        got: bytes.len(),
    })
}

fn check_root(computed: &Hash, expected: &[u8]) -> Result<(), ProofError> {
    if computed.as_slice() == expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch {
            computed: hex::encode(computed),
            expected: hex::encode(expected),
        })
    }
}

/// Shifts `fn_`/`sn` right until the lowest bit of `fn_` is set or `fn_` is zero.
fn skip_right_edge(fn_: &mut u64, sn: &mut u64) {
    while *fn_ & 1 == 0 && *fn_ != 0 {
        *fn_ >>= 1;
        *sn >>= 1;
    }
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with the given `root`
/// (RFC 9162, section 2.1.3.2).
///
/// # Errors
/// A [`ProofError`] saying why the proof does not hold.
pub fn verify_inclusion<P: AsRef<[u8]>>(
    index: u64,
    size: u64,
    leaf_hash: &[u8],
    proof: &[P],
    root: &[u8],
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    let mut r = to_hash(leaf_hash, || "leaf hash".into())?;
    let (mut fn_, mut sn) = (index, size - 1);
    for (i, p) in proof.iter().enumerate() {
        let p = to_hash(p.as_ref(), || format!("proof[{i}]"))?;
        if sn == 0 {
            return Err(ProofError::WrongLength { got: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(&p, &r);
            skip_right_edge(&mut fn_, &mut sn);
        } else {
            r = node_hash(&r, &p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    check_root(&r, root)
}

/// Verifies that the tree of `size2` leaves with root `root2` extends the tree of `size1` leaves
/// with root `root1` (RFC 9162, section 2.1.4.2). `size1` must be at least 1: consistency with
/// the empty tree proves nothing and is rejected.
///
/// # Errors
/// A [`ProofError`] saying why the proof does not hold.
pub fn verify_consistency<P: AsRef<[u8]>>(
    size1: u64,
    size2: u64,
    proof: &[P],
    root1: &[u8],
    root2: &[u8],
) -> Result<(), ProofError> {
    check_sizes(size1, size2)?;
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength { got: proof.len() });
        }
        if root1 != root2 {
            return Err(ProofError::RootMismatch {
                computed: hex::encode(root1),
                expected: hex::encode(root2),
            });
        }
        return Ok(());
    }
    if proof.is_empty() || proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    let mut hashes = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        hashes.push(to_hash(root1, || "root1".into())?);
    }
    for (i, p) in proof.iter().enumerate() {
        hashes.push(to_hash(p.as_ref(), || format!("proof[{i}]"))?);
    }
    let (mut fn_, mut sn) = (size1 - 1, size2 - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (first, rest) = hashes.split_at(1);
    let (mut fr, mut sr) = (first[0], first[0]);
    for c in rest {
        if sn == 0 {
            return Err(ProofError::WrongLength { got: proof.len() });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            skip_right_edge(&mut fn_, &mut sn);
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(ProofError::WrongLength { got: proof.len() });
    }
    check_root(&fr, root1)?;
    check_root(&sr, root2)
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use proptest::prelude::*;

    use super::*;
    use crate::merkle::{MemoryTree, leaf_hash};

    const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/merkle");

    fn json_files(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let Ok(read) = std::fs::read_dir(dir) else {
            return out;
        };
        for entry in read.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(json_files(&path));
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
        out.sort();
        out
    }

    fn b64(value: &serde_json::Value) -> Vec<u8> {
        STANDARD
            .decode(value.as_str().unwrap_or_default())
            .unwrap_or_default()
    }

    fn b64_list(value: &serde_json::Value) -> Vec<Vec<u8>> {
        value.as_array().into_iter().flatten().map(b64).collect()
    }

    fn load(path: &Path) -> serde_json::Value {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    #[test]
    fn inclusion_vectors() {
        let files = json_files(&Path::new(VECTORS).join("inclusion"));
        assert!(files.len() > 80, "vectors not found under {VECTORS}");
        let mut happy = 0;
        for path in files {
            let v = load(&path);
            let result = verify_inclusion(
                v["leafIdx"].as_u64().unwrap_or(u64::MAX),
                v["treeSize"].as_u64().unwrap_or(0),
                &b64(&v["leafHash"]),
                &b64_list(&v["proof"]),
                &b64(&v["root"]),
            );
            let want_err = v["wantErr"].as_bool() == Some(true);
            assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
            happy += usize::from(!want_err);
        }
        assert_eq!(happy, 6);
    }

    #[test]
    fn consistency_vectors() {
        let files = json_files(&Path::new(VECTORS).join("consistency"));
        assert!(files.len() > 80, "vectors not found under {VECTORS}");
        let mut happy = 0;
        for path in files {
            let v = load(&path);
            let result = verify_consistency(
                v["size1"].as_u64().unwrap_or(u64::MAX),
                v["size2"].as_u64().unwrap_or(0),
                &b64_list(&v["proof"]),
                &b64(&v["root1"]),
                &b64(&v["root2"]),
            );
            let want_err = v["wantErr"].as_bool() == Some(true);
            assert_eq!(result.is_err(), want_err, "{}: {result:?}", path.display());
            happy += usize::from(!want_err);
        }
        assert_eq!(happy, 6);
    }

    /// The happy-path vectors are also what our generator produces for the RFC's tree.
    #[test]
    fn generated_proofs_match_the_vectors() -> Result<(), BoardError> {
        let roots = load(&Path::new(VECTORS).join("roots.json"));
        let mut tree = MemoryTree::new();
        for input in roots["leaf_inputs_hex"].as_array().into_iter().flatten() {
            tree.push(leaf_hash(
                &hex::decode(input.as_str().unwrap_or_default()).unwrap_or_default(),
            ));
        }
        for n in 0..5 {
            let dir = Path::new(VECTORS).join(format!("inclusion/{n}/happy-path.json"));
            let v = load(&dir);
            let proof = inclusion_proof(
                &mut tree,
                v["leafIdx"].as_u64().unwrap_or(0),
                v["treeSize"].as_u64().unwrap_or(0),
            )?;
            assert_eq!(
                proof.iter().map(|h| h.to_vec()).collect::<Vec<_>>(),
                b64_list(&v["proof"])
            );
            let dir = Path::new(VECTORS).join(format!("consistency/{n}/happy-path.json"));
            let v = load(&dir);
            let proof = consistency_proof(
                &mut tree,
                v["size1"].as_u64().unwrap_or(0),
                v["size2"].as_u64().unwrap_or(0),
            )?;
            assert_eq!(
                proof.iter().map(|h| h.to_vec()).collect::<Vec<_>>(),
                b64_list(&v["proof"])
            );
        }
        Ok(())
    }

    fn tree_of(size: u64) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for i in 0..size {
            tree.push(leaf_hash(&i.to_le_bytes()));
        }
        tree
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn inclusion_proofs_verify_and_mutations_fail(
            size in 1u64..300, index_seed in any::<u64>(), flip in any::<(usize, u8)>(),
        ) {
            let mut tree = tree_of(size);
            let index = index_seed % size;
            let root = tree.root();
            let leaf = leaf_hash(&index.to_le_bytes());
            let proof = inclusion_proof(&mut tree, index, size).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(verify_inclusion(index, size, &leaf, &proof, &root).is_ok());
            // Flip one bit of one proof element.
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = flip.0 % bad.len();
                bad[at][usize::from(flip.1) % 32] ^= 1 << (flip.1 % 8);
                prop_assert!(verify_inclusion(index, size, &leaf, &bad, &root).is_err());
                let mut short = proof.clone();
                short.pop();
                prop_assert!(verify_inclusion(index, size, &leaf, &short, &root).is_err());
            }
            let mut long = proof.clone();
            long.push(root);
            prop_assert!(verify_inclusion(index, size, &leaf, &long, &root).is_err());
            // Wrong leaf, wrong index, wrong size.
            prop_assert!(verify_inclusion(index, size, &leaf_hash(b"other"), &proof, &root).is_err());
            if size > 1 {
                let other = (index + 1) % size;
                prop_assert!(verify_inclusion(other, size, &leaf, &proof, &root).is_err());
            }
            prop_assert!(verify_inclusion(index, size + 1, &leaf, &proof, &tree_of(size + 1).root()).is_err());
        }

        #[test]
        fn consistency_proofs_verify_and_mutations_fail(
            size2 in 1u64..300, size1_seed in any::<u64>(), flip in any::<(usize, u8)>(),
        ) {
            let size1 = 1 + size1_seed % size2;
            let mut tree = tree_of(size2);
            let root1 = root_of(size1);
            let root2 = tree.root();
            let proof = consistency_proof(&mut tree, size1, size2).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert!(verify_consistency(size1, size2, &proof, &root1, &root2).is_ok());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = flip.0 % bad.len();
                bad[at][usize::from(flip.1) % 32] ^= 1 << (flip.1 % 8);
                prop_assert!(verify_consistency(size1, size2, &bad, &root1, &root2).is_err());
                let mut short = proof.clone();
                short.pop();
                prop_assert!(verify_consistency(size1, size2, &short, &root1, &root2).is_err());
            }
            let mut long = proof.clone();
            long.push(root2);
            prop_assert!(verify_consistency(size1, size2, &long, &root1, &root2).is_err());
            let mut forged = root1;
            forged[0] ^= 1;
            prop_assert!(verify_consistency(size1, size2, &proof, &forged, &root2).is_err());
            if size1 < size2 {
                prop_assert!(verify_consistency(size1, size2, &proof, &root2, &root1).is_err());
                prop_assert!(verify_consistency(size1 + 1, size2, &proof, &root_of(size1 + 1), &root2).is_err());
            }
        }
    }

    fn root_of(size: u64) -> Hash {
        tree_of(size).root()
    }
}
