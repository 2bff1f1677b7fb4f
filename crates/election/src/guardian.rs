//! Guardians: the trustees who hold the election key in shares. Each generates a secret
//! polynomial, publishes Feldman commitments to its coefficients with Schnorr proofs of
//! knowledge, and a transport key to which the other guardians encrypt its shares. [`steps`]
//! holds each guardian step over a copy of the election record.

pub mod steps;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use fairtally_crypto::encoding::{hex_point, hex_points, hex_scalar, hex_scalars};
use fairtally_crypto::hash::Digest;
use fairtally_crypto::proofs::SchnorrProof;
use fairtally_crypto::random::random_scalar;
use fairtally_crypto::sharing::{Polynomial, evaluate_commitments};
use fairtally_crypto::{RistrettoPoint, Scalar};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{ElectionError, Result};
use crate::parameters::ElectionParameters;
use crate::record::{ItemKind, RecordItem};

/// The longest guardian name accepted.
const MAX_NAME_LEN: usize = 200;

/// What a guardian publishes in the key ceremony.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardianPublic {
    /// Sequence number 1..=n: the point at which the others evaluate their polynomials for it.
    pub index: u32,
    /// Who the guardian is (e.g. "Electoral commission").
    pub name: String,
    /// Feldman commitments g^{a_j} to the polynomial's k coefficients; the first is the
    /// guardian's part of the joint key.
    #[serde(with = "hex_points")]
    pub commitments: Vec<RistrettoPoint>,
    /// One Schnorr proof of knowledge per coefficient.
    pub commitment_proofs: Vec<SchnorrProof>,
    /// The key that the other guardians encrypt this guardian's shares to.
    #[serde(with = "hex_point")]
    pub transport_key: RistrettoPoint,
    /// Schnorr proof of knowledge of the transport secret.
    pub transport_proof: SchnorrProof,
}

impl RecordItem for GuardianPublic {
    const KIND: ItemKind = ItemKind::Guardian;
}

/// A guardian's secrets after the first ceremony step: its transport secret and its
/// polynomial's values at every guardian's sequence number. Lives only in the guardian's own
/// file and is zeroized in memory when dropped.
#[derive(Clone, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct GuardianSecret {
    /// The guardian's sequence number.
    #[zeroize(skip)]
    pub index: u32,
    /// The secret of the transport key.
    #[serde(with = "hex_scalar")]
    transport_secret: Scalar,
    /// P(1), ..., P(n): the shares for every guardian (its own at position index - 1).
    #[serde(with = "hex_scalars")]
    shares: Vec<Scalar>,
}

impl std::fmt::Debug for GuardianSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GuardianSecret {{ index: {}, .. }}", self.index)
    }
}

/// Binding of the Schnorr proof of coefficient `j` of guardian `index`.
pub fn coefficient_binding(index: u32, j: u32) -> Vec<u8> {
    let mut binding = b"coefficient".to_vec();
    binding.extend_from_slice(&index.to_be_bytes());
    binding.extend_from_slice(&j.to_be_bytes());
    binding
}

/// Binding of the Schnorr proof of guardian `index`'s transport key.
pub fn transport_binding(index: u32) -> Vec<u8> {
    let mut binding = b"transport".to_vec();
    binding.extend_from_slice(&index.to_be_bytes());
    binding
}

/// First ceremony step: guardian `index` generates its polynomial, commitments, proofs and
/// transport key. `context` is the ceremony context.
pub fn generate(
    context: &Digest,
    parameters: &ElectionParameters,
    index: u32,
    name: &str,
) -> Result<(GuardianSecret, GuardianPublic)> {
    parameters.validate()?;
    check_index(parameters, index)?;
    check_name(index, name)?;
    let polynomial = Polynomial::random(parameters.threshold as usize);
    let commitments = polynomial.commitments();
    let commitment_proofs = polynomial
        .coefficients()
        .iter()
        .zip(&commitments)
        .zip(0u32..)
        .map(|((a, c), j)| SchnorrProof::prove(context, &coefficient_binding(index, j), a, c))
        .collect();
    let transport_secret = random_scalar();
    let transport_key = RISTRETTO_BASEPOINT_TABLE * &transport_secret;
    let transport_proof = SchnorrProof::prove(
        context,
        &transport_binding(index),
        &transport_secret,
        &transport_key,
    );
    let shares = parameters
        .guardian_indices()
        .map(|x| polynomial.evaluate(x))
        .collect();
    Ok((
        GuardianSecret {
            index,
            transport_secret,
            shares,
        },
        GuardianPublic {
            index,
            name: name.to_string(),
            commitments,
            commitment_proofs,
            transport_key,
            transport_proof,
        },
    ))
}

impl GuardianSecret {
    /// The transport secret (to decrypt shares sent to this guardian).
    pub fn transport_secret(&self) -> &Scalar {
        &self.transport_secret
    }

    /// P(x): this guardian's share for guardian `x`.
    pub fn share_for(&self, x: u32) -> Option<&Scalar> {
        self.shares.get((x as usize).checked_sub(1)?)
    }

    /// Check that the secret belongs to the published `public` record (same index, its shares
    /// match the commitments, its transport key matches): catches mixed-up files.
    pub fn check_matches(&self, public: &GuardianPublic) -> Result<()> {
        let ok = self.index == public.index
            && RISTRETTO_BASEPOINT_TABLE * &self.transport_secret == public.transport_key
            && self.shares.iter().zip(1u32..).all(|(s, x)| {
                RISTRETTO_BASEPOINT_TABLE * s == evaluate_commitments(&public.commitments, x)
            });
        if ok {
            Ok(())
        } else {
            Err(ElectionError::Ceremony {
                guardian: self.index,
                reason: "the secret file does not belong to this guardian's public record".into(),
            })
        }
    }
}

impl GuardianPublic {
    /// Check shape and every Schnorr proof against the ceremony `context`.
    pub fn verify(&self, context: &Digest, parameters: &ElectionParameters) -> Result<()> {
        check_index(parameters, self.index)?;
        check_name(self.index, &self.name)?;
        let fail = |reason: String| ElectionError::Ceremony {
            guardian: self.index,
            reason,
        };
        let k = parameters.threshold as usize;
        if self.commitments.len() != k || self.commitment_proofs.len() != k {
            return Err(fail(format!(
                "expected {k} commitments and proofs, found {} and {}",
                self.commitments.len(),
                self.commitment_proofs.len()
            )));
        }
        for ((c, proof), j) in self
            .commitments
            .iter()
            .zip(&self.commitment_proofs)
            .zip(0u32..)
        {
            proof
                .verify(context, &coefficient_binding(self.index, j), c)
                .map_err(|e| fail(format!("coefficient {j}: {e}")))?;
        }
        self.transport_proof
            .verify(context, &transport_binding(self.index), &self.transport_key)
            .map_err(|e| fail(format!("transport key: {e}")))
    }
}

/// Check that `guardians` are exactly the guardians 1..=n in order, each verified.
pub fn verify_all(
    context: &Digest,
    parameters: &ElectionParameters,
    guardians: &[GuardianPublic],
) -> Result<()> {
    if guardians.len() != parameters.guardians as usize {
        return Err(ElectionError::Parameters(format!(
            "expected {} guardians, found {}",
            parameters.guardians,
            guardians.len()
        )));
    }
    for (guardian, expected) in guardians.iter().zip(1u32..) {
        if guardian.index != expected {
            return Err(ElectionError::Ceremony {
                guardian: guardian.index,
                reason: format!(
                    "guardians must be listed in order; expected guardian {expected} here"
                ),
            });
        }
        guardian.verify(context, parameters)?;
    }
    Ok(())
}

fn check_index(parameters: &ElectionParameters, index: u32) -> Result<()> {
    if index == 0 || index > parameters.guardians {
        return Err(ElectionError::Ceremony {
            guardian: index,
            reason: format!("the sequence number must be 1 to {}", parameters.guardians),
        });
    }
    Ok(())
}

fn check_name(index: u32, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(ElectionError::Ceremony {
            guardian: index,
            reason: format!("the name must be 1 to {MAX_NAME_LEN} printable characters"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::parameters::ceremony_context;

    #[test]
    fn generated_guardians_verify_and_tampering_is_named() -> Result<()> {
        let params = crate::parameters::for_tests(3, 2)?;
        let ctx = ceremony_context(&Manifest::default_demo()?, &params)?;
        let (secret, public) = generate(&ctx, &params, 2, "Observers")?;
        public.verify(&ctx, &params)?;
        secret.check_matches(&public)?;

        let mut bad = public.clone();
        bad.commitments.swap(0, 1);
        let err = bad.verify(&ctx, &params).unwrap_err().to_string();
        assert!(
            err.contains("guardian 2") && err.contains("coefficient 0"),
            "{err}"
        );

        let other_ctx = fairtally_crypto::hash::hash_parts("x", &[]);
        assert!(public.verify(&other_ctx, &params).is_err());
        assert!(generate(&ctx, &params, 4, "x").is_err());
        assert!(generate(&ctx, &params, 1, " ").is_err());
        Ok(())
    }
}
