//! Signed observation items: an organisation's accreditation of an observer, and an
//! observer's protocol of a station. Each is a typed item with canonical bytes (compact JSON
//! in field order) so it can be stored under its hash and appended to the bulletin board.
//!
//! Signatures are Ed25519 (strict verification) over a domain separator followed by the
//! canonical bytes of the body, so a signature for one kind of item can never be replayed as
//! another, and the body binds the election, the station, the observer, the accreditation,
//! the option list, every figure and the SHA-256 of every photo.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use fairtally_results::{ElectionOption, ElectionResults, Field, StationProtocol};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::checks::check_protocol;
use crate::error::ObserveError;
use crate::keys::{parse_public_key, public_key_hex};

/// Domain separator of accreditation signatures.
pub const ACCREDITATION_DOMAIN: &[u8] = b"fairtally observe accreditation v1\0";
/// Domain separator of protocol signatures.
pub const PROTOCOL_DOMAIN: &[u8] = b"fairtally observe protocol v1\0";

/// What an organisation signs to accredit an observer for an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccreditationBody {
    /// The election, as its results name it.
    pub election: String,
    /// The organisation's public key (hex).
    pub organisation: String,
    /// The observer's public key (hex).
    pub observer: String,
    /// The observer's name or code, as the organisation knows them.
    pub observer_name: String,
}

/// An accreditation with the organisation's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Accreditation {
    /// What was signed.
    pub body: AccreditationBody,
    /// Ed25519 signature (hex) over [`ACCREDITATION_DOMAIN`] ‖ canonical body.
    pub signature: String,
}

/// What an observer signs for one station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolBody {
    /// The election, as its results name it.
    pub election: String,
    /// The station id.
    pub station: String,
    /// The observer's public key (hex).
    pub observer: String,
    /// The observer's accreditation, whole, so the protocol can be checked on its own.
    pub accreditation: Accreditation,
    /// The option ids in the order of `protocol.votes`.
    pub options: Vec<String>,
    /// The figures the observer copied.
    pub protocol: StationProtocol,
    /// SHA-256 (hex) of each photo of the protocol, stored beside the item.
    pub photos: Vec<String>,
    /// When the observer signed, as they claim it (Unix seconds); the bulletin board gives the
    /// time nobody can change.
    pub signed_at: u64,
}

/// A station protocol with the observer's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedProtocol {
    /// What was signed.
    pub body: ProtocolBody,
    /// Ed25519 signature (hex) over [`PROTOCOL_DOMAIN`] ‖ canonical body.
    pub signature: String,
}

/// One item for the store and the bulletin board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ObservationItem {
    /// An organisation accredits an observer.
    Accreditation(Accreditation),
    /// An observer submits a station's protocol.
    Protocol(Box<SignedProtocol>),
}

/// Canonical JSON of a value: compact, fields in declaration order, no maps.
fn canonical<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising these plain structs (strings, integers, vectors, options) cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

fn signed_message(domain: &[u8], body: &[u8]) -> Vec<u8> {
    [domain, body].concat()
}

/// True for a SHA-256 in lower-case hex: the only form a photo is named by.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn parse_signature(hex_text: &str, item: &str) -> Result<Signature, ObserveError> {
    let mut bytes = [0u8; 64];
    let decoded = hex::decode_to_slice(hex_text, &mut bytes);
    // Only lower-case hex: one signature, one spelling, one item hash.
    if decoded.is_err() || hex::encode(bytes) != hex_text {
        return Err(ObserveError::NotAuthentic {
            item: item.to_owned(),
            reason: "a signature is 128 lower-case hexadecimal digits".into(),
        });
    }
    Ok(Signature::from_bytes(&bytes))
}

fn verify(
    key: &VerifyingKey,
    message: &[u8],
    signature: &str,
    item: &str,
    who: &str,
) -> Result<(), ObserveError> {
    key.verify_strict(message, &parse_signature(signature, item)?)
        .map_err(|_| ObserveError::NotAuthentic {
            item: item.to_owned(),
            reason: format!("the {who}'s signature does not verify"),
        })
}

impl Accreditation {
    /// The organisation `organisation` accredits the observer with public key `observer`.
    pub fn sign(
        organisation: &SigningKey,
        election: &str,
        observer: &VerifyingKey,
        observer_name: &str,
    ) -> Self {
        let body = AccreditationBody {
            election: election.to_owned(),
            organisation: public_key_hex(&organisation.verifying_key()),
            observer: public_key_hex(observer),
            observer_name: observer_name.to_owned(),
        };
        let signature = organisation.sign(&signed_message(ACCREDITATION_DOMAIN, &canonical(&body)));
        Accreditation {
            body,
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the signature, and that the organisation is one of `trusted`.
    pub fn verify(&self, trusted: &[VerifyingKey]) -> Result<(), ObserveError> {
        let item = format!("accreditation of {}", self.body.observer_name);
        let org = parse_public_key(&self.body.organisation, &format!("{item}: organisation"))?;
        parse_public_key(&self.body.observer, &format!("{item}: observer"))?;
        if !trusted.contains(&org) {
            return Err(ObserveError::NotAuthentic {
                item,
                reason: format!(
                    "organisation {} is not among the trusted ones",
                    self.body.organisation
                ),
            });
        }
        let message = signed_message(ACCREDITATION_DOMAIN, &canonical(&self.body));
        verify(&org, &message, &self.signature, &item, "organisation")
    }
}

impl ProtocolBody {
    /// Checks what a protocol must be whoever signed it: each option id listed once (else
    /// two figures would compete for one option and the last would win), one vote figure per
    /// option.
    pub fn check_shape(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        if let Some(repeated) = self.options.iter().find(|o| !seen.insert(o.as_str())) {
            return Err(format!("option `{repeated}` is listed more than once"));
        }
        if self.options.len() != self.protocol.votes.len() {
            return Err(format!(
                "{} options but {} vote figures",
                self.options.len(),
                self.protocol.votes.len()
            ));
        }
        Ok(())
    }
}

impl SignedProtocol {
    /// The observer signs `body`; `body.observer` is set to the observer's key.
    pub fn sign(observer: &SigningKey, mut body: ProtocolBody) -> Self {
        body.observer = public_key_hex(&observer.verifying_key());
        let signature = observer.sign(&signed_message(PROTOCOL_DOMAIN, &canonical(&body)));
        SignedProtocol {
            body,
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the observer's signature, the accreditation (by one of `trusted`), and that
    /// the accreditation is for this observer and this election.
    pub fn verify(&self, trusted: &[VerifyingKey]) -> Result<(), ObserveError> {
        self.verify_with(
            |accreditation| accreditation.verify(trusted),
            parse_public_key,
        )
    }

    /// As [`SignedProtocol::verify`], with the accreditation's own check (its signature, its
    /// organisation) left to `check_accreditation` and the parsing of the observer's key (hex,
    /// item name) to `observer_key`, in the same order of checks.
    fn verify_with(
        &self,
        check_accreditation: impl FnOnce(&Accreditation) -> Result<(), ObserveError>,
        observer_key: impl FnOnce(&str, &str) -> Result<VerifyingKey, ObserveError>,
    ) -> Result<(), ObserveError> {
        let b = &self.body;
        let item = format!("protocol of station {} by {}", b.station, b.observer);
        b.check_shape()
            .map_err(|reason| ObserveError::NotAuthentic {
                item: item.clone(),
                reason,
            })?;
        let accreditation = &b.accreditation.body;
        for (what, theirs, ours) in [
            ("observer", &accreditation.observer, &b.observer),
            ("election", &accreditation.election, &b.election),
        ] {
            if theirs != ours {
                return Err(ObserveError::NotAuthentic {
                    item,
                    reason: format!("the accreditation is for another {what} ({theirs})"),
                });
            }
        }
        if let Some(bad) = b.photos.iter().find(|h| !is_sha256_hex(h)) {
            return Err(ObserveError::NotAuthentic {
                item,
                reason: format!("photo hash {bad:?} is not 64 lower-case hexadecimal digits"),
            });
        }
        check_accreditation(&b.accreditation)?;
        let observer = observer_key(&b.observer, &format!("{item}: observer"))?;
        let message = signed_message(PROTOCOL_DOMAIN, &canonical(b));
        verify(&observer, &message, &self.signature, &item, "observer")
    }
}

/// A station's protocol as an observer enters it, before it is checked and signed: figures by
/// their result-sheet names, votes by option id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Submission {
    /// The station id.
    pub station: String,
    /// Result-sheet figures by field name (`registered`, `valid`, ... as [`Field::name`]).
    pub figures: Vec<(String, u64)>,
    /// Votes by option id.
    pub votes: Vec<(String, u64)>,
}

impl Submission {
    /// The figures as a protocol of the election whose options are `options`, in their order.
    /// Refuses an unknown field or option (naming the valid ones), a name given twice, and a
    /// protocol without any figure.
    pub fn protocol(&self, options: &[ElectionOption]) -> Result<StationProtocol, ObserveError> {
        let bad =
            |parameter: String, reason: String| ObserveError::BadParameter { parameter, reason };
        let mut protocol = StationProtocol::empty(options.len());
        let mut given = std::collections::HashSet::new();
        for (name, value) in &self.figures {
            let field = Field::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                    bad(
                        format!("figure `{name}`"),
                        format!("no such field; the fields are {}", names.join(", ")),
                    )
                })?;
            if !given.insert(field.name()) {
                return Err(bad(format!("figure `{name}`"), "given twice".into()));
            }
            protocol.set(field, Some(*value));
        }
        for (id, value) in &self.votes {
            let o = options.iter().position(|o| &o.id == id).ok_or_else(|| {
                let ids: Vec<String> = options
                    .iter()
                    .map(|o| format!("{} ({})", o.id, o.name))
                    .collect();
                bad(
                    format!("vote `{id}`"),
                    format!("no such option; the options are {}", ids.join(", ")),
                )
            })?;
            if protocol.votes[o].replace(*value).is_some() {
                return Err(bad(format!("vote `{id}`"), "given twice".into()));
            }
        }
        if protocol.is_empty() {
            return Err(bad(
                "protocol".into(),
                "nothing to submit: no figure and no vote".into(),
            ));
        }
        Ok(protocol)
    }

    /// Reasons to think `protocol` was mistyped or does not belong to the election, for the
    /// observer to look at before signing: every arithmetic rule of the result sheet it breaks
    /// ([`check_protocol`]), votes given for some options but not all, and, when `known`
    /// (official results or a station list) is given, a station that is not in it. Empty when
    /// nothing looks wrong.
    pub fn concerns(
        &self,
        protocol: &StationProtocol,
        options: &[ElectionOption],
        known: Option<&ElectionResults>,
    ) -> Vec<String> {
        let mut concerns = Vec::new();
        if let Some(known) = known
            && !known.stations.iter().any(|s| s.station.id == self.station)
        {
            concerns.push(format!(
                "station `{}` is not among the {} stations of the results given",
                self.station,
                known.stations.len()
            ));
        }
        let missing: Vec<&str> = options
            .iter()
            .zip(&protocol.votes)
            .filter(|(_, v)| v.is_none())
            .map(|(o, _)| o.id.as_str())
            .collect();
        if !missing.is_empty() && missing.len() < options.len() {
            concerns.push(format!(
                "no votes for {}: a protocol lists every option (give 0 for none)",
                missing.join(", ")
            ));
        }
        let (_, failures) = check_protocol(protocol);
        concerns.extend(
            failures
                .iter()
                .map(|f| format!("{} ({})", f.detail, f.check.rule())),
        );
        concerns
    }

    /// Signs the protocol with the observer's key for `election`, under `accreditation`, with
    /// the SHA-256 of its `photos`, and checks that the accreditation covers this observer and
    /// this election and that every signature verifies.
    pub fn sign(
        &self,
        observer: &SigningKey,
        election: &str,
        options: &[ElectionOption],
        accreditation: Accreditation,
        photos: Vec<String>,
        signed_at: u64,
    ) -> Result<SignedProtocol, ObserveError> {
        let signed = SignedProtocol::sign(
            observer,
            ProtocolBody {
                election: election.to_owned(),
                station: self.station.clone(),
                observer: String::new(),
                accreditation,
                options: options.iter().map(|o| o.id.clone()).collect(),
                protocol: self.protocol(options)?,
                photos,
                signed_at,
            },
        );
        ObservationItem::Protocol(Box::new(signed.clone())).verify_signatures()?;
        Ok(signed)
    }
}

impl ObservationItem {
    /// The item's kind, for the bulletin board: `observe/accreditation/v1` or
    /// `observe/protocol/v1`.
    pub fn kind(&self) -> &'static str {
        match self {
            ObservationItem::Accreditation(_) => "observe/accreditation/v1",
            ObservationItem::Protocol(_) => "observe/protocol/v1",
        }
    }

    /// The canonical bytes: compact JSON with fields in declaration order and the `type`
    /// tag first. These bytes are what is stored, hashed and put on the board.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        canonical(self)
    }

    /// SHA-256 of the canonical bytes: the item's address in the store.
    pub fn digest(&self) -> [u8; 32] {
        Sha256::digest(self.canonical_bytes()).into()
    }

    /// Parses canonical bytes; anything that does not re-encode to exactly the same bytes
    /// (other spacing, field order, unknown fields) is refused, so one item has one encoding.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, String> {
        let item: ObservationItem =
            serde_json::from_slice(bytes).map_err(|e| format!("not an observation item: {e}"))?;
        if item.canonical_bytes() != bytes {
            return Err("not in canonical form (compact JSON, fields in order)".into());
        }
        if let ObservationItem::Protocol(p) = &item {
            p.body.check_shape()?;
        }
        Ok(item)
    }

    /// Verifies the item's signatures against the `trusted` organisations.
    pub fn verify(&self, trusted: &[VerifyingKey]) -> Result<(), ObserveError> {
        match self {
            ObservationItem::Accreditation(a) => a.verify(trusted),
            ObservationItem::Protocol(p) => p.verify(trusted),
        }
    }

    /// The organisation whose key the item's accreditation names (a claim until
    /// [`Self::verify`] checks it against trusted keys).
    pub fn organisation(&self) -> &str {
        match self {
            ObservationItem::Accreditation(a) => &a.body.organisation,
            ObservationItem::Protocol(p) => &p.body.accreditation.body.organisation,
        }
    }

    /// Verifies the item's signatures against the organisation it names itself, trusted or
    /// not: the item is authentic for whoever holds that organisation's key. This is what a
    /// bulletin board operator checks before posting; readers still decide whom to trust.
    pub fn verify_signatures(&self) -> Result<(), ObserveError> {
        let organisation = parse_public_key(self.organisation(), "accreditation: organisation")?;
        self.verify(&[organisation])
    }

    /// The accreditation the item is or embeds.
    fn accreditation(&self) -> &Accreditation {
        match self {
            ObservationItem::Accreditation(a) => a,
            ObservationItem::Protocol(p) => &p.body.accreditation,
        }
    }
}

/// Verifies many items at once, on all cores, each exactly as [`ObservationItem::verify`]
/// with `trusted` does (or, when `trusted` is `None`, [`ObservationItem::verify_signatures`]),
/// with the same verdict and the same error; the results are in the order of `items`.
///
/// An accreditation that several items carry (an observer's outbox: each protocol embeds the
/// observer's accreditation whole) is checked once: its verdict depends only on its own bytes
/// and the trusted keys, so the protocols that embed the same accreditation share it. Likewise
/// each distinct observer key is decoded (and checked not to be weak) once.
pub fn verify_items(
    items: &[ObservationItem],
    trusted: Option<&[VerifyingKey]>,
) -> Vec<Result<(), ObserveError>> {
    use rayon::prelude::*;
    let check = |a: &Accreditation| match trusted {
        Some(trusted) => a.verify(trusted),
        None => parse_public_key(&a.body.organisation, "accreditation: organisation")
            .and_then(|organisation| a.verify(&[organisation])),
    };
    let mut distinct: Vec<&Accreditation> = items.iter().map(|i| i.accreditation()).collect();
    distinct.sort_unstable_by(|a, b| accreditation_order(a, b));
    distinct.dedup();
    let verified: Vec<bool> = distinct.par_iter().map(|a| check(a).is_ok()).collect();
    // A refused accreditation is checked again for its error (refusals are rare).
    let verdict = |a: &Accreditation| -> Result<(), ObserveError> {
        let found = distinct.binary_search_by(|d| accreditation_order(d, a));
        match found.ok().and_then(|i| verified.get(i)) {
            Some(true) => Ok(()),
            _ => check(a),
        }
    };
    let mut observers: Vec<&str> = items
        .iter()
        .filter_map(|item| match item {
            ObservationItem::Protocol(p) => Some(p.body.observer.as_str()),
            ObservationItem::Accreditation(_) => None,
        })
        .collect();
    observers.sort_unstable();
    observers.dedup();
    let keys: Vec<Option<VerifyingKey>> = observers
        .par_iter()
        .map(|hex| parse_public_key(hex, "observer").ok())
        .collect();
    // A key that does not decode is parsed again for its error, naming the item.
    let observer_key = |hex: &str, item: &str| -> Result<VerifyingKey, ObserveError> {
        let found = observers.binary_search(&hex).ok();
        match found.and_then(|i| keys.get(i).copied().flatten()) {
            Some(key) => Ok(key),
            None => parse_public_key(hex, item),
        }
    };
    items
        .par_iter()
        .map(|item| match item {
            ObservationItem::Accreditation(a) => verdict(a),
            ObservationItem::Protocol(p) => p.verify_with(verdict, observer_key),
        })
        .collect()
}

/// A total order on accreditations (field by field), to find repeated ones.
fn accreditation_order(a: &Accreditation, b: &Accreditation) -> std::cmp::Ordering {
    fn key(x: &Accreditation) -> (&str, &str, &str, &str, &str) {
        (
            x.signature.as_str(),
            x.body.organisation.as_str(),
            x.body.observer.as_str(),
            x.body.election.as_str(),
            x.body.observer_name.as_str(),
        )
    }
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_key;

    fn keys() -> Result<(SigningKey, SigningKey), ObserveError> {
        Ok((generate_key()?, generate_key()?))
    }

    fn protocol(org: &SigningKey, observer: &SigningKey) -> SignedProtocol {
        let accreditation = Accreditation::sign(org, "E", &observer.verifying_key(), "Ann");
        SignedProtocol::sign(
            observer,
            ProtocolBody {
                election: "E".into(),
                station: "S-1".into(),
                observer: String::new(),
                accreditation,
                options: vec!["a".into(), "b".into()],
                protocol: StationProtocol {
                    valid: Some(10),
                    votes: vec![Some(6), Some(4)],
                    ..StationProtocol::default()
                },
                photos: vec!["00".repeat(32)],
                signed_at: 1_700_000_000,
            },
        )
    }

    #[test]
    fn signed_items_verify_and_round_trip_canonically() -> Result<(), ObserveError> {
        let (org, observer) = keys()?;
        let trusted = [org.verifying_key()];
        let item = ObservationItem::Protocol(Box::new(protocol(&org, &observer)));
        item.verify(&trusted)?;
        let bytes = item.canonical_bytes();
        assert!(bytes.starts_with(b"{\"type\":\"protocol\",\"body\":{\"election\":\"E\""));
        assert_eq!(
            ObservationItem::from_canonical_bytes(&bytes),
            Ok(item.clone())
        );
        let spaced = String::from_utf8_lossy(&bytes).replace(",\"", ", \"");
        assert!(ObservationItem::from_canonical_bytes(spaced.as_bytes()).is_err());
        assert_eq!(item.kind(), "observe/protocol/v1");
        Ok(())
    }

    #[test]
    fn every_change_to_a_signed_protocol_is_detected() -> Result<(), ObserveError> {
        let (org, observer) = keys()?;
        let trusted = [org.verifying_key()];
        let good = protocol(&org, &observer);
        type Tamper = fn(&mut SignedProtocol);
        let tampers: Vec<(&str, Tamper)> = vec![
            ("a vote", |p| p.body.protocol.votes[0] = Some(7)),
            ("the station", |p| p.body.station = "S-2".into()),
            ("a photo hash", |p| p.body.photos[0] = "11".repeat(32)),
            ("the time", |p| p.body.signed_at += 1),
            ("the options", |p| p.body.options.reverse()),
            ("the election", |p| p.body.election = "F".into()),
            ("the accreditation name", |p| {
                p.body.accreditation.body.observer_name = "Bob".into()
            }),
            ("the signature", |p| {
                let flipped = if p.signature.starts_with('0') {
                    "1"
                } else {
                    "0"
                };
                p.signature.replace_range(0..1, flipped)
            }),
            ("a signature that is not hex", |p| p.signature = "x".into()),
            ("the signature's spelling", |p| {
                p.signature = p.signature.to_uppercase()
            }),
        ];
        for (what, tamper) in tampers {
            let mut p = good.clone();
            tamper(&mut p);
            assert!(
                p.verify(&trusted).is_err(),
                "changing {what} went unnoticed"
            );
        }
        // A repeated option id, signed as such, is refused at verify and at parse.
        let mut repeated = good.body.clone();
        repeated.options = vec!["a".into(), "a".into()];
        let repeated = SignedProtocol::sign(&observer, repeated);
        let e = repeated.verify(&trusted).err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.contains("option `a` is listed more than once")),
            "{e:?}"
        );
        let bytes = ObservationItem::Protocol(Box::new(repeated)).canonical_bytes();
        assert_eq!(
            ObservationItem::from_canonical_bytes(&bytes),
            Err("option `a` is listed more than once".to_owned())
        );
        // An observer accredited by an untrusted organisation, or accredited for someone else.
        assert!(good.verify(&[observer.verifying_key()]).is_err());
        let stranger = generate_key()?;
        let mut other = good.clone();
        other.body.accreditation = Accreditation::sign(&org, "E", &stranger.verifying_key(), "Eve");
        let other = SignedProtocol::sign(&observer, other.body);
        assert!(matches!(
            other.verify(&trusted),
            Err(ObserveError::NotAuthentic { .. })
        ));
        Ok(())
    }

    #[test]
    fn verifying_many_items_gives_each_ones_own_verdict() -> Result<(), ObserveError> {
        let (org, observer) = keys()?;
        let good = protocol(&org, &observer);
        let mut tampered = good.clone();
        tampered.body.accreditation.body.observer_name = "Bob".into();
        let mut other_station = good.body.clone();
        other_station.station = "S-2".into();
        let mut stranger = good.clone();
        stranger.body.accreditation =
            Accreditation::sign(&observer, "E", &observer.verifying_key(), "Ann");
        let stranger = SignedProtocol::sign(&observer, stranger.body);
        let mut bad_signature = good.clone();
        bad_signature.signature = "00".repeat(64);
        let items: Vec<ObservationItem> = [
            good.clone(),
            tampered,
            SignedProtocol::sign(&observer, other_station),
            stranger,
            bad_signature,
            good.clone(),
        ]
        .into_iter()
        .map(|p| ObservationItem::Protocol(Box::new(p)))
        .chain([ObservationItem::Accreditation(
            good.body.accreditation.clone(),
        )])
        .collect();
        let trusted = [org.verifying_key()];
        for trusted in [None, Some(&trusted[..])] {
            let many = verify_items(&items, trusted);
            assert_eq!(many.len(), items.len());
            for (item, verdict) in items.iter().zip(&many) {
                let one = match trusted {
                    Some(t) => item.verify(t),
                    None => item.verify_signatures(),
                };
                assert_eq!(
                    verdict.as_ref().map_err(ToString::to_string),
                    one.as_ref().map_err(ToString::to_string)
                );
            }
            let passed: Vec<bool> = many.iter().map(Result::is_ok).collect();
            // Self-accredited by the observer: authentic for that key, not for `org`.
            let stranger_ok = trusted.is_none();
            assert_eq!(passed, [true, false, true, stranger_ok, false, true, true]);
        }
        Ok(())
    }

    fn options() -> Vec<ElectionOption> {
        ["a", "b"]
            .iter()
            .map(|id| ElectionOption {
                id: (*id).into(),
                name: id.to_uppercase(),
            })
            .collect()
    }

    fn entered(figures: &[(&str, u64)], votes: &[(&str, u64)]) -> Submission {
        let own = |list: &[(&str, u64)]| list.iter().map(|(n, v)| ((*n).to_owned(), *v)).collect();
        Submission {
            station: "S-1".into(),
            figures: own(figures),
            votes: own(votes),
        }
    }

    #[test]
    fn submissions_are_built_checked_and_signed() -> Result<(), ObserveError> {
        let (org, observer) = keys()?;
        let options = options();
        let good = entered(&[("valid", 10)], &[("b", 4), ("a", 6)]);
        let protocol = good.protocol(&options)?;
        assert_eq!(protocol.votes, vec![Some(6), Some(4)]);
        assert!(good.concerns(&protocol, &options, None).is_empty());
        let accreditation = Accreditation::sign(&org, "E", &observer.verifying_key(), "Ann");
        let signed = good.sign(&observer, "E", &options, accreditation.clone(), vec![], 1)?;
        signed.verify(&[org.verifying_key()])?;
        // Someone else's accreditation cannot be used.
        let (_, eve) = keys()?;
        assert!(
            good.sign(&eve, "E", &options, accreditation, vec![], 1)
                .is_err()
        );

        let doubtful = entered(&[("valid", 5)], &[("a", 1)]);
        let protocol = doubtful.protocol(&options)?;
        let concerns = doubtful.concerns(&protocol, &options, None);
        assert_eq!(
            concerns,
            vec!["no votes for b: a protocol lists every option (give 0 for none)".to_owned()]
        );
        let adds_up_wrong = entered(&[("valid", 5)], &[("a", 1), ("b", 0)]);
        let protocol = adds_up_wrong.protocol(&options)?;
        assert_eq!(
            adds_up_wrong.concerns(&protocol, &options, None),
            vec!["votes 1 ≠ valid 5 (votes for all options = valid ballots)".to_owned()]
        );
        for (bad, expected) in [
            (
                entered(&[("valid", 1), ("valid", 2)], &[]),
                "figure `valid`: given twice",
            ),
            (
                entered(&[], &[("c", 1)]),
                "vote `c`: no such option; the options are a (A), b (B)",
            ),
            (
                entered(&[], &[]),
                "protocol: nothing to submit: no figure and no vote",
            ),
        ] {
            let e = bad.protocol(&options).err().map(|e| e.to_string());
            assert_eq!(e.as_deref(), Some(expected));
        }
        Ok(())
    }
}
