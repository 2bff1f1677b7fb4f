//! Offline submission: accredit, sign, store with photos, read back, verify, merge, compare.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use fairtally_observe::keys::generate_key;
use fairtally_observe::{
    Accreditation, ObservationItem, ObserveError, ProtocolBody, Reason, SignedProtocol, Store,
    compare,
};
use fairtally_results::{Mapping, StationProtocol, import_reader};

const MAPPING: &str = r#"
[election]
name = "E"
options = [{ id = "a", name = "A" }, { id = "b", name = "B" }]
[station]
id = "id"
region = "region"
[[source]]
kind = "official"
[source.fields]
valid = "valid"
[source.votes]
a = "a"
b = "b"
"#;

fn election() -> fairtally_results::ElectionResults {
    let m = Mapping::from_toml(MAPPING, Path::new("m.toml")).unwrap();
    let csv = "id,region,valid,a,b\nS-1,North,100,70,30\nS-2,South,50,20,30\n";
    import_reader(csv.as_bytes(), Path::new("official.csv"), &m)
        .unwrap()
        .0
}

fn body(
    accreditation: Accreditation,
    station: &str,
    votes: [u64; 2],
    photos: Vec<String>,
) -> ProtocolBody {
    ProtocolBody {
        election: "E".into(),
        station: station.into(),
        observer: String::new(),
        accreditation,
        // The observer lists options in another order than the election: merged by id.
        options: vec!["b".into(), "a".into()],
        protocol: StationProtocol {
            valid: Some(100),
            votes: vec![Some(votes[1]), Some(votes[0])],
            ..StationProtocol::default()
        },
        photos,
        signed_at: 1_754_000_000,
    }
}

#[test]
fn signed_protocols_travel_through_the_store_into_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(dir.path()).unwrap();
    let org = generate_key().unwrap();
    let ann = generate_key().unwrap();
    let accreditation = Accreditation::sign(&org, "E", &ann.verifying_key(), "Ann");
    store
        .put_item(&ObservationItem::Accreditation(accreditation.clone()))
        .unwrap();

    let photo = dir.path().join("protocol.jpg");
    std::fs::write(&photo, b"a photo of the protocol").unwrap();
    let hash = store.put_photo(&photo).unwrap();
    assert!(store.has_photo(&hash));
    // Honest copy of S-1 with a photo; S-2 copied as 40/10 where the official says 20/30.
    let s1 = SignedProtocol::sign(
        &ann,
        body(accreditation.clone(), "S-1", [70, 30], vec![hash]),
    );
    let s2 = SignedProtocol::sign(&ann, body(accreditation.clone(), "S-2", [40, 10], vec![]));
    let unknown = SignedProtocol::sign(&ann, body(accreditation, "S-9", [1, 1], vec![]));
    for p in [s1, s2.clone(), unknown] {
        store
            .put_item(&ObservationItem::Protocol(Box::new(p)))
            .unwrap();
    }
    // Storing the same item twice is harmless.
    let again = store
        .put_item(&ObservationItem::Protocol(Box::new(s2)))
        .unwrap();
    assert_eq!(store.items().unwrap().items.len(), 4);
    assert!(
        store
            .items()
            .unwrap()
            .items
            .iter()
            .any(|(d, _)| *d == again)
    );

    let mut results = election();
    let merged = store
        .merge_into(&mut results, &[org.verifying_key()])
        .unwrap();
    assert_eq!(merged.merged, 2);
    assert_eq!(merged.refused.len(), 1);
    assert!(merged.refused[0].to_string().contains("no station `S-9`"));
    let s1 = &results.stations[0];
    let report = s1.observed().next().unwrap();
    assert_eq!(report.protocol.votes, vec![Some(70), Some(30)]);
    assert!(report.confirmed.is_some(), "the photo is in the store");
    let s2 = results.stations[1].observed().next().unwrap();
    assert!(s2.confirmed.is_none(), "no photo, no confirmation");

    let c = compare(&results);
    let differs: Vec<_> = c
        .flags
        .iter()
        .filter(|f| f.reason == Reason::DiffersFromOfficial)
        .collect();
    assert_eq!(differs.len(), 3, "{differs:?}"); // S-2: votes a, votes b and valid (100 vs 50)
    assert!(differs.iter().all(|f| f.station == "S-2"));

    // An untrusted organisation: nothing is merged.
    let mut fresh = election();
    let stranger = generate_key().unwrap();
    let merged = store
        .merge_into(&mut fresh, &[stranger.verifying_key()])
        .unwrap();
    assert_eq!(merged.merged, 0);
    assert!(
        merged
            .refused
            .iter()
            .all(|e| matches!(e, ObserveError::NotAuthentic { .. }))
    );
}

#[test]
fn tampered_or_misnamed_files_in_the_store_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(dir.path()).unwrap();
    let org = generate_key().unwrap();
    let ann = generate_key().unwrap();
    let item =
        ObservationItem::Accreditation(Accreditation::sign(&org, "E", &ann.verifying_key(), "Ann"));
    let digest = store.put_item(&item).unwrap();
    let path = dir.path().join("items").join(format!("{digest}.json"));

    let unreadable = |store: &Store| {
        let read = store.items().unwrap();
        assert!(read.items.is_empty());
        assert_eq!(read.unreadable.len(), 1);
        read.unreadable[0].to_string()
    };
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("Ann", "Bob")).unwrap();
    let e = unreadable(&store);
    assert!(e.contains("stored under the wrong name"), "{e}");

    std::fs::write(&path, format!("{text}\n")).unwrap();
    let e = unreadable(&store);
    assert!(e.contains("not in canonical form"), "{e}");

    std::fs::write(&path, "{}").unwrap();
    let e = unreadable(&store);
    assert!(e.contains("not an observation item"), "{e}");

    std::fs::write(&path, vec![b' '; (1 << 20) + 1]).unwrap();
    let e = unreadable(&store);
    assert!(e.contains("larger than 1048576 bytes"), "{e}");

    // A photo whose bytes do not match its name, and names that are not hashes.
    let zeros = "00".repeat(32);
    std::fs::write(dir.path().join("photos").join(&zeros), b"x").unwrap();
    assert!(!store.has_photo(&zeros));
    assert!(!store.has_photo("../items"));
}

#[test]
fn a_store_posted_to_the_board_is_on_it_once() {
    use fairtally_board::board::{Board, PUBLIC_DIR};
    use fairtally_board::checkpoint::TrustPolicy;
    use fairtally_board::mirror::Mirror;
    use fairtally_board::note::{KeyRole, NoteSigner};
    use fairtally_observe::bulletin::{board_entry, post_store};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_or_create(&dir.path().join("outbox")).unwrap();
    let org = generate_key().unwrap();
    let ann = generate_key().unwrap();
    let accreditation = Accreditation::sign(&org, "E", &ann.verifying_key(), "Ann");
    store
        .put_item(&ObservationItem::Accreditation(accreditation.clone()))
        .unwrap();
    let protocol = SignedProtocol::sign(&ann, body(accreditation, "S-1", [70, 30], vec![]));
    store
        .put_item(&ObservationItem::Protocol(Box::new(protocol)))
        .unwrap();

    let operator = NoteSigner::generate("board.example/observers", KeyRole::Operator).unwrap();
    let policy = TrustPolicy::operator_only(operator.verifier());
    let mut board = Board::create(&dir.path().join("board"), &policy).unwrap();
    let posted = post_store(&store, &mut board, &operator, None)
        .unwrap()
        .posted;
    assert_eq!((posted.entries, posted.new_entries), (2, 2));
    // Sending the same outbox again (after a lost acknowledgement, say) duplicates nothing.
    let again = post_store(&store, &mut board, &operator, None)
        .unwrap()
        .posted;
    assert_eq!((again.entries, again.new_entries), (2, 0));
    assert_eq!(again.checkpoint.checkpoint().size, 2);

    // Anyone with a copy of the public files finds every item, with its kind.
    let mut mirror = Mirror::open(&dir.path().join("board").join(PUBLIC_DIR), &policy).unwrap();
    for (_, item) in store.items().unwrap().items {
        let inclusion = mirror.prove(&board_entry(&item).unwrap()).unwrap();
        let entry = mirror.entry(inclusion.index).unwrap();
        assert_eq!(entry.kind().as_str(), item.kind());
        assert_eq!(entry.body(), item.canonical_bytes().as_slice());
    }
}

#[test]
fn flagged_csv_neutralises_formulas_but_keeps_numbers() {
    let m = Mapping::from_toml(MAPPING, Path::new("m.toml")).unwrap();
    // Votes that do not add up to the valid ballots, so both stations are flagged.
    let csv = "id,region,valid,a,b\n\"=HYPERLINK(\"\"http://x\"\")\",@SUM(A1),100,70,20\n\
               -1+1,-7,50,20,20\n";
    let results = import_reader(csv.as_bytes(), Path::new("official.csv"), &m)
        .unwrap()
        .0;
    let c = compare(&results);
    let dir = tempfile::tempdir().unwrap();
    let written = fairtally_observe::write_comparison(dir.path(), &c, None, None).unwrap();
    let mut reader = csv::Reader::from_path(&written.flagged).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let by_station = |station: &str| {
        rows.iter()
            .find(|r| &r[0] == station)
            .unwrap_or_else(|| panic!("no row for {station}: {rows:?}"))
    };
    let first = by_station("'=HYPERLINK(\"http://x\")");
    assert_eq!(&first[1], "'@SUM(A1)");
    let second = by_station("'-1+1");
    assert_eq!(&second[1], "-7", "a negative number is a number");
    assert!(
        rows.iter()
            .flat_map(|r| r.iter())
            .all(|cell| fairtally_observe::spreadsheet_safe(cell) == cell),
        "every cell is safe: {rows:?}"
    );
}

/// A store with one good protocol, one truncated item, one whose signature no longer
/// verifies (an edited vote, re-stored under its new hash) and one with a repeated option id.
/// Returns the store, the trusted organisation and the hash of the good protocol.
fn store_with_bad_items(dir: &Path) -> (Store, ed25519_dalek::VerifyingKey, String) {
    let store = Store::open_or_create(dir).unwrap();
    let org = generate_key().unwrap();
    let ann = generate_key().unwrap();
    let accreditation = Accreditation::sign(&org, "E", &ann.verifying_key(), "Ann");
    let good = SignedProtocol::sign(&ann, body(accreditation.clone(), "S-1", [70, 30], vec![]));
    let good = store
        .put_item(&ObservationItem::Protocol(Box::new(good)))
        .unwrap();
    // Truncated: the first half of a valid item, under its hash.
    let s2 = SignedProtocol::sign(&ann, body(accreditation.clone(), "S-2", [20, 30], vec![]));
    let s2 = store
        .put_item(&ObservationItem::Protocol(Box::new(s2)))
        .unwrap();
    let path = store.item_path(&s2);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    // Forged: a vote changed after signing, stored (canonically) under its new hash.
    let mut forged =
        SignedProtocol::sign(&ann, body(accreditation.clone(), "S-2", [20, 30], vec![]));
    forged.body.protocol.votes[0] = Some(25);
    store
        .put_item(&ObservationItem::Protocol(Box::new(forged)))
        .unwrap();
    // A repeated option id, properly signed: the parser refuses it.
    let mut repeated = body(accreditation, "S-2", [20, 30], vec![]);
    repeated.options = vec!["a".into(), "a".into()];
    let repeated = ObservationItem::Protocol(Box::new(SignedProtocol::sign(&ann, repeated)));
    let digest = hex::encode(repeated.digest());
    std::fs::write(store.item_path(&digest), repeated.canonical_bytes()).unwrap();
    (store, org.verifying_key(), good)
}

#[test]
fn bad_items_are_reported_and_skipped_while_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (store, org, good) = store_with_bad_items(dir.path());
    let read = store.items().unwrap();
    // The forged item parses (its signature is checked later); the other two do not.
    assert_eq!(read.items.len(), 2);
    let errors: Vec<String> = read.unreadable.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().any(|e| e.contains("not an observation item")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("option `a` is listed more than once")),
        "{errors:?}"
    );

    let mut results = election();
    let merged = store.merge_into(&mut results, &[org]).unwrap();
    assert_eq!(merged.merged, 1, "{:?}", merged.refused);
    assert_eq!(merged.refused.len(), 3);
    assert_eq!(results.stations[0].observed().next().unwrap().origin, good);
    assert!(results.stations[1].observed().next().is_none());
}

#[test]
fn only_items_whose_signatures_verify_are_posted() {
    use fairtally_board::board::Board;
    use fairtally_board::checkpoint::TrustPolicy;
    use fairtally_board::note::{KeyRole, NoteSigner};
    use fairtally_observe::bulletin::post_store;

    let dir = tempfile::tempdir().unwrap();
    let (store, _, _) = store_with_bad_items(&dir.path().join("outbox"));
    let operator = NoteSigner::generate("board.example/observers", KeyRole::Operator).unwrap();
    let policy = TrustPolicy::operator_only(operator.verifier());
    let mut board = Board::create(&dir.path().join("board"), &policy).unwrap();
    let post = post_store(&store, &mut board, &operator, None).unwrap();
    assert_eq!((post.posted.entries, post.posted.new_entries), (1, 1));
    assert_eq!(post.posted.checkpoint.checkpoint().size, 1);
    let refused: Vec<String> = post.refused.iter().map(ToString::to_string).collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|e| e.contains("the observer's signature does not verify")),
        "{refused:?}"
    );
    // Posting only what a trusted organisation accredited: a stranger's items stay out.
    let stranger = generate_key().unwrap();
    let mut other = Board::create(&dir.path().join("other"), &policy).unwrap();
    let post = post_store(
        &store,
        &mut other,
        &operator,
        Some(&[stranger.verifying_key()]),
    )
    .unwrap();
    assert_eq!(post.posted.entries, 0);
    assert_eq!(post.refused.len(), 4);
}

#[test]
fn a_missing_store_is_an_error_not_an_empty_store() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("outbx");
    let e = Store::open(&typo).unwrap_err();
    assert!(matches!(e, ObserveError::NotAStore { .. }), "{e}");
    assert!(!typo.exists(), "opening a store to read it created it");
    Store::open_or_create(&typo).unwrap();
    Store::open(&typo).unwrap();
}
