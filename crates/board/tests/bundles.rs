//! Offline bundles between an operator's board and a mirror: in order, twice, out of order,
//! damaged, from another log, and from a forked log.

use std::path::{Path, PathBuf};

use fairtally_board::BoardError;
use fairtally_board::board::Board;
use fairtally_board::bundle::Bundle;
use fairtally_board::checkpoint::TrustPolicy;
use fairtally_board::entry::{Entry, EntryKind};
use fairtally_board::note::{KeyRole, NoteSigner};

struct Setup {
    dir: tempfile::TempDir,
    op: NoteSigner,
    policy: TrustPolicy,
}

fn setup() -> Result<Setup, BoardError> {
    let dir = tempfile::tempdir().map_err(|e| BoardError::Io {
        path: "tempdir".into(),
        source: e,
    })?;
    let op = NoteSigner::generate("board.example/bundles", KeyRole::Operator)?;
    let policy = TrustPolicy::operator_only(op.verifier());
    Ok(Setup { dir, op, policy })
}

fn entries(tag: &str, range: std::ops::Range<u32>) -> Result<Vec<Entry>, BoardError> {
    let kind = EntryKind::new("test/item")?;
    range
        .map(|i| Entry::new(kind.clone(), format!("{tag}{i}").into_bytes()))
        .collect()
}

impl Setup {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// An operator board with three signed rounds of entries and a bundle after each round:
    /// bundle k holds the entries of round k.
    fn operator_with_bundles(
        &self,
        name: &str,
        tag: &str,
    ) -> Result<(Board, Vec<PathBuf>), BoardError> {
        let mut board = Board::create(&self.path(name), &self.policy)?;
        let mut bundles = Vec::new();
        for (k, range) in [0..300u32, 300..700, 700..710].into_iter().enumerate() {
            let from = board.size()?;
            board.append_batch(&entries(tag, range)?)?;
            board.sign_checkpoint(&self.op)?;
            let path = self.path(&format!("{name}-{k}.json"));
            board.export_bundle(from, &path)?;
            bundles.push(path);
        }
        Ok((board, bundles))
    }

    fn import(&self, mirror: &mut Board, bundle: &Path) -> Result<u64, BoardError> {
        let bundle = Bundle::open(bundle, &self.policy)?;
        Ok(mirror.import_bundle(&bundle)?.appended)
    }
}

fn state(board: &Board) -> Result<(u64, Option<String>), BoardError> {
    Ok((
        board.size()?,
        board.latest_checkpoint()?.map(|c| c.to_text()),
    ))
}

#[test]
fn bundles_in_order_twice_and_out_of_order() -> Result<(), BoardError> {
    let s = setup()?;
    let (operator, bundles) = s.operator_with_bundles("op", "a")?;
    let mut mirror = Board::create(&s.path("mirror"), &s.policy)?;
    // Out of order: round 2 before rounds 0 and 1 is refused and changes nothing.
    let before = state(&mirror)?;
    let err = s.import(&mut mirror, &bundles[2]);
    assert!(
        matches!(
            err,
            Err(BoardError::Gap {
                from: 700,
                size: 0,
                ..
            })
        ),
        "{err:?}"
    );
    assert!(err.is_err_and(|e| e.to_string().contains("import the earlier bundle first")));
    assert_eq!(state(&mirror)?, before);
    assert_eq!(s.import(&mut mirror, &bundles[0])?, 300);
    // Twice: nothing changes.
    let before = state(&mirror)?;
    assert_eq!(s.import(&mut mirror, &bundles[0])?, 0);
    assert_eq!(state(&mirror)?, before);
    assert_eq!(s.import(&mut mirror, &bundles[1])?, 400);
    assert_eq!(s.import(&mut mirror, &bundles[2])?, 10);
    // An old bundle after newer ones is a no-op, not an error.
    assert_eq!(s.import(&mut mirror, &bundles[1])?, 0);
    assert_eq!(mirror.size()?, 710);
    assert_eq!(mirror.root_at(710)?, operator.root_at(710)?);
    // A bundle from 0 overlapping everything the mirror has is also fine.
    let all = s.path("all.json");
    operator.export_bundle(0, &all)?;
    assert_eq!(s.import(&mut mirror, &all)?, 0);
    // A mirror with entries the bundle does not cover yet takes only the rest.
    let mut partial = Board::create(&s.path("partial"), &s.policy)?;
    s.import(&mut partial, &bundles[0])?;
    assert_eq!(s.import(&mut partial, &all)?, 410);
    assert_eq!(partial.latest_checkpoint()?, operator.latest_checkpoint()?);
    Ok(())
}

#[test]
fn a_forked_log_is_rejected_naming_both_checkpoints() -> Result<(), BoardError> {
    let s = setup()?;
    let (_, bundles) = s.operator_with_bundles("op", "a")?;
    // The same operator key signs a second history that diverges after entry 300.
    let mut forked = Board::create(&s.path("fork"), &s.policy)?;
    forked.append_batch(&entries("a", 0..300)?)?;
    forked.append_batch(&entries("b", 300..700)?)?;
    forked.sign_checkpoint(&s.op)?;
    let fork_bundle = s.path("fork.json");
    forked.export_bundle(300, &fork_bundle)?;
    let mut mirror = Board::create(&s.path("mirror"), &s.policy)?;
    s.import(&mut mirror, &bundles[0])?;
    s.import(&mut mirror, &bundles[1])?;
    let before = state(&mirror)?;
    let err = s.import(&mut mirror, &fork_bundle);
    let Err(BoardError::Fork { first, second, .. }) = &err else {
        return Err(BoardError::Malformed {
            item: "test".into(),
            reason: format!("expected a fork, got {err:?}"),
        });
    };
    assert!(first.contains("size 700"), "{first}");
    assert!(
        second.contains("size 700") && second.contains("fork.json"),
        "{second}"
    );
    assert_ne!(first, second);
    assert_eq!(state(&mirror)?, before);
    // A forked bundle that the mirror is behind on is caught at the shared size too.
    let mut behind = Board::create(&s.path("behind"), &s.policy)?;
    s.import(&mut behind, &bundles[0])?;
    forked.append_batch(&entries("b", 700..701)?)?;
    forked.sign_checkpoint(&s.op)?;
    forked.export_bundle(0, &fork_bundle)?;
    s.import(&mut behind, &fork_bundle)?;
    assert!(matches!(
        s.import(&mut behind, &bundles[1]),
        Err(BoardError::Fork { .. })
    ));
    Ok(())
}

#[test]
fn damaged_forged_and_foreign_bundles_change_nothing() -> Result<(), BoardError> {
    let s = setup()?;
    let (_, bundles) = s.operator_with_bundles("op", "a")?;
    let mut mirror = Board::create(&s.path("mirror"), &s.policy)?;
    s.import(&mut mirror, &bundles[0])?;
    let before = state(&mirror)?;
    let text = std::fs::read_to_string(&bundles[1]).map_err(|e| BoardError::Io {
        path: bundles[1].clone(),
        source: e,
    })?;
    let bad = s.path("bad.json");
    let write = |t: &str| {
        std::fs::write(&bad, t).map_err(|e| BoardError::Io {
            path: bad.clone(),
            source: e,
        })
    };
    let check = |mirror: &mut Board, expect: &str| -> Result<(), BoardError> {
        let err = s.import(mirror, &bad);
        assert!(
            err.as_ref().is_err_and(|e| e.to_string().contains(expect)),
            "expected {expect:?}, got {err:?}"
        );
        assert_eq!(state(mirror)?, before);
        Ok(())
    };
    // A replaced entry no longer leads to the signed root.
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| BoardError::Malformed {
            item: "bundle".into(),
            reason: e.to_string(),
        })?;
    let mut forged = json.clone();
    forged["entries"][5] = serde_json::Value::String("CXRlc3QvaXRlbXh4".into());
    write(&forged.to_string())?;
    check(&mut mirror, "damaged or forged bundle")?;
    // Bad base64 in an entry names the entry.
    let mut damaged = json.clone();
    damaged["entries"][7] = serde_json::Value::String("***".into());
    write(&damaged.to_string())?;
    check(&mut mirror, "bad.json: entries[7]: not base64")?;
    // A tampered checkpoint fails its signature.
    let mut tampered = json.clone();
    let cp = json["checkpoint"]
        .as_str()
        .unwrap_or_default()
        .replace("\n700\n", "\n701\n");
    tampered["checkpoint"] = serde_json::Value::String(cp);
    write(&tampered.to_string())?;
    check(&mut mirror, "signature does not verify")?;
    // Truncated file (named at the entry where it ends), unknown format, oversized entry.
    write(&text[..text.len() / 2])?;
    check(&mut mirror, "bad.json: entries[")?;
    check(&mut mirror, "the file cut short")?;
    write(&text[..text.len() - 3])?;
    check(&mut mirror, "not a fairtally board bundle")?;
    let mut other = json.clone();
    other["format"] = serde_json::Value::String("something/2".into());
    write(&other.to_string())?;
    check(&mut mirror, "bad.json: format")?;
    let mut big = json.clone();
    let mut data = vec![9u8];
    data.extend_from_slice(b"test/item");
    data.resize(70_000, b'x');
    use base64::Engine as _;
    big["entries"][0] =
        serde_json::Value::String(base64::engine::general_purpose::STANDARD.encode(data));
    write(&big.to_string())?;
    check(&mut mirror, "entry is 70000 bytes, the limit is 65535")?;
    // An entry's text, or another member, far past what one may take: refused while it is
    // read (the parser never holds it whole), naming the entry or the file.
    let mut long = json.clone();
    long["entries"][3] = serde_json::Value::String("A".repeat(2 << 20));
    write(&long.to_string())?;
    check(&mut mirror, "bad.json: entries[3]: unreadable")?;
    check(
        &mut mirror,
        "an item longer than the 262140 bytes it may have",
    )?;
    let mut long = json.clone();
    long["frontier"] = serde_json::Value::String("A".repeat(4 << 20));
    write(&long.to_string())?;
    check(
        &mut mirror,
        "an item longer than the 1048576 bytes it may have",
    )?;
    // Another log's bundle (another operator key and origin).
    let other_op = NoteSigner::generate("elsewhere.example", KeyRole::Operator)?;
    let other_policy = TrustPolicy::operator_only(other_op.verifier());
    let mut other_board = Board::create(&s.path("other"), &other_policy)?;
    other_board.append_batch(&entries("a", 0..3)?)?;
    other_board.sign_checkpoint(&other_op)?;
    other_board.export_bundle(0, &bad)?;
    check(&mut mirror, "belongs to log \"elsewhere.example\"")?;
    // A missing file names the file.
    std::fs::remove_file(&bad).map_err(|e| BoardError::Io {
        path: bad.clone(),
        source: e,
    })?;
    check(&mut mirror, "bad.json")?;
    Ok(())
}

#[test]
fn witnesses_are_required_when_the_policy_says_so() -> Result<(), BoardError> {
    let s = setup()?;
    let (operator, bundles) = s.operator_with_bundles("op", "a")?;
    let w = NoteSigner::generate("observers.example/w", KeyRole::Witness)?;
    let strict = TrustPolicy {
        witnesses: vec![w.verifier()],
        quorum: 1,
        ..s.policy.clone()
    };
    let err = Bundle::open(&bundles[0], &strict);
    assert!(matches!(
        err,
        Err(BoardError::NotEnoughWitnesses {
            got: 0,
            need: 1,
            ..
        })
    ));
    // A mirror with the strict policy refuses a bundle checked under a weaker one.
    let mut mirror = Board::create(&s.path("strict-mirror"), &strict)?;
    let weak = Bundle::open(&bundles[0], &s.policy)?;
    assert!(mirror.import_bundle(&weak).is_err());
    assert_eq!(mirror.size()?, 0);
    let mut cosigned = operator.latest_checkpoint()?.ok_or(BoardError::Malformed {
        item: "test".into(),
        reason: "no checkpoint".into(),
    })?;
    cosigned.cosign(&w, 1)?;
    let mut operator = operator;
    // The operator keeps only cosignatures of witnesses its policy knows.
    operator.add_cosignatures(&cosigned)?;
    assert_eq!(
        operator
            .latest_checkpoint()?
            .map(|c| c.note().signatures().len()),
        Some(1)
    );
    operator.set_policy(&strict)?;
    operator.add_cosignatures(&cosigned)?;
    let all = s.path("all.json");
    operator.export_bundle(0, &all)?;
    assert_eq!(
        mirror
            .import_bundle(&Bundle::open(&all, &strict)?)?
            .appended,
        710
    );
    Ok(())
}
