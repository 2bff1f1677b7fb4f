//! Property tests of signed items: canonical bytes round-trip, and no change to the stored
//! bytes of a signed protocol survives both parsing and verification.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use fairtally_observe::keys::generate_key;
use fairtally_observe::{Accreditation, ObservationItem, ProtocolBody, SignedProtocol};
use fairtally_results::StationProtocol;
use proptest::prelude::*;

fn figure() -> impl Strategy<Value = Option<u64>> {
    proptest::option::of(0u64..100_000)
}

prop_compose! {
    fn protocols()(
        registered in figure(), received in figure(), issued in figure(),
        counted in figure(), valid in figure(), invalid in figure(),
        votes in proptest::collection::vec(figure(), 1..6),
        station in "[A-Za-zА-я0-9 /-]{1,20}",
        photos in proptest::collection::vec("[0-9a-f]{64}", 0..3),
        signed_at in any::<u64>(),
    ) -> (StationProtocol, String, Vec<String>, u64) {
        let protocol = StationProtocol {
            registered,
            ballots_received: received,
            ballots_issued: issued,
            ballots_cancelled: None,
            ballots_counted: counted,
            valid,
            invalid,
            votes,
        };
        (protocol, station, photos, signed_at)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn canonical_bytes_round_trip_and_every_byte_matters(
        (protocol, station, photos, signed_at) in protocols(),
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let org = generate_key().unwrap();
        let observer = generate_key().unwrap();
        let accreditation = Accreditation::sign(&org, "E", &observer.verifying_key(), "Ann");
        let options = (0..protocol.votes.len()).map(|i| format!("o{i}")).collect();
        let body = ProtocolBody {
            election: "E".into(),
            station,
            observer: String::new(),
            accreditation,
            options,
            protocol,
            photos,
            signed_at,
        };
        let item = ObservationItem::Protocol(Box::new(SignedProtocol::sign(&observer, body)));
        let trusted = [org.verifying_key()];
        prop_assert!(item.verify(&trusted).is_ok());
        let bytes = item.canonical_bytes();
        let parsed = ObservationItem::from_canonical_bytes(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&item));

        let mut changed = bytes.clone();
        let i = position.index(changed.len());
        changed[i] ^= flip;
        let accepted = ObservationItem::from_canonical_bytes(&changed)
            .is_ok_and(|other| other.verify(&trusted).is_ok());
        prop_assert!(!accepted, "byte {} changed and still accepted", i);
    }
}
