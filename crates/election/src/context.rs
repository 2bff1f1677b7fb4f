//! The election context: the base hash that every ballot and tally proof binds, and the joint
//! key ballots are encrypted to. It is computed from the manifest, the parameters, the
//! guardians' public records and the credential list, and published in `context.json`.

use fairtally_crypto::RistrettoPoint;
use fairtally_crypto::elgamal::PublicKey;
use fairtally_crypto::encoding::hex_point;
use fairtally_crypto::hash::{Digest, hash_parts};
use serde::{Deserialize, Serialize};

use crate::ceremony::joint_key;
use crate::credential::CredentialList;
use crate::error::{ElectionError, Result};
use crate::guardian::GuardianPublic;
use crate::manifest::Manifest;
use crate::parameters::{ElectionParameters, ceremony_context};
use crate::record::{ItemKind, RecordItem};

/// Domain separator of the hash of the guardians' public records.
pub const GUARDIANS_DOMAIN: &str = "fairtally/guardians/v1";
/// Domain separator of the base hash.
pub const BASE_HASH_DOMAIN: &str = "fairtally/base-hash/v1";

/// `context.json`: everything derived from the set-up, for readers' convenience. A verifier
/// recomputes every field and compares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionContext {
    /// H(manifest, parameters): the context of the key ceremony's proofs.
    pub ceremony_context: Digest,
    /// H(each guardian's canonical public record, in order).
    pub guardians_hash: Digest,
    /// The credential list hash (see [`CredentialList::hash`]).
    pub credentials_hash: Digest,
    /// The number of credentials.
    pub credentials: u64,
    /// The joint election key K.
    #[serde(with = "hex_point")]
    pub joint_key: RistrettoPoint,
    /// H(ceremony context, guardians hash, credentials hash, credential count, joint key): the
    /// context of every ballot and decryption proof.
    pub base_hash: Digest,
}

impl RecordItem for ElectionContext {
    const KIND: ItemKind = ItemKind::Context;
}

impl ElectionContext {
    /// Compute the context from the set-up. The guardians must already be verified.
    /// The base hash is the election's fingerprint: it binds the manifest, the parameters (with
    /// the election id and the board's keys), the guardians, the credentials and the joint key.
    pub fn compute(
        manifest: &Manifest,
        parameters: &ElectionParameters,
        guardians: &[GuardianPublic],
        credentials: &CredentialList,
    ) -> Result<Self> {
        let ceremony_context = ceremony_context(manifest, parameters)?;
        let records: Vec<Vec<u8>> = guardians
            .iter()
            .map(RecordItem::canonical_bytes)
            .collect::<Result<_>>()?;
        let parts: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
        let guardians_hash = hash_parts(GUARDIANS_DOMAIN, &parts);
        let credentials_hash = credentials.hash();
        let count = credentials.len() as u64;
        let joint_key = joint_key(guardians);
        let base_hash = hash_parts(
            BASE_HASH_DOMAIN,
            &[
                &ceremony_context.0,
                &guardians_hash.0,
                &credentials_hash.0,
                &count.to_le_bytes(),
                joint_key.compress().as_bytes(),
            ],
        );
        Ok(ElectionContext {
            ceremony_context,
            guardians_hash,
            credentials_hash,
            credentials: count,
            joint_key,
            base_hash,
        })
    }

    /// Name the first field that differs from the recomputed `expected` context.
    pub fn check_against(&self, expected: &ElectionContext) -> Result<()> {
        let fields = [
            (
                "ceremony_context",
                self.ceremony_context == expected.ceremony_context,
            ),
            (
                "guardians_hash",
                self.guardians_hash == expected.guardians_hash,
            ),
            (
                "credentials_hash",
                self.credentials_hash == expected.credentials_hash,
            ),
            ("credentials", self.credentials == expected.credentials),
            ("joint_key", self.joint_key == expected.joint_key),
            ("base_hash", self.base_hash == expected.base_hash),
        ];
        match fields.iter().find(|(_, same)| !same) {
            None => Ok(()),
            Some((name, _)) => Err(ElectionError::Record(format!(
                "context.json: {name} differs from the value recomputed from the manifest, \
                 parameters, guardians and credential list"
            ))),
        }
    }
}

/// What a voter's device and the verifier need at hand: the manifest, the base hash and the
/// joint key with its precomputed table.
#[derive(Clone, Debug)]
pub struct VotingContext {
    /// The manifest.
    pub manifest: Manifest,
    /// The election's base hash.
    pub base_hash: Digest,
    /// The joint key.
    pub public_key: PublicKey,
}

impl VotingContext {
    /// From the manifest and the published context.
    pub fn new(manifest: Manifest, context: &ElectionContext) -> Self {
        VotingContext {
            manifest,
            base_hash: context.base_hash,
            public_key: PublicKey::new(context.joint_key),
        }
    }
}
