//! The Fiat–Shamir transcript.
//!
//! Modelled on the transcript extension of dalek's bulletproofs, over SHA-512: a transcript
//! starts from a protocol domain separator and the election's base hash, every appended item
//! carries a label and is length-framed, and challenges are SHA-512 outputs reduced modulo ℓ.
//! A prover and a verifier that append the same statement in the same order derive the same
//! challenge; any difference in protocol, election or statement changes it.

use sha2::{Digest as _, Sha512};

use crate::hash::{Digest, update_framed};
use crate::{RistrettoPoint, Scalar};

/// The version tag absorbed before anything else.
const TRANSCRIPT_TAG: &[u8] = b"fairtally/transcript/v1";

/// A running Fiat–Shamir transcript.
#[derive(Clone)]
pub struct Transcript {
    hasher: Sha512,
}

impl Transcript {
    /// Starts a transcript for the protocol `domain` within the election with base hash `context`.
    pub fn new(domain: &'static str, context: &Digest) -> Self {
        let mut transcript = Transcript {
            hasher: Sha512::new(),
        };
        update_framed(&mut transcript.hasher, TRANSCRIPT_TAG);
        transcript.append_bytes("domain", domain.as_bytes());
        transcript.append_bytes("context", &context.0);
        transcript
    }

    /// Appends a labelled byte string.
    pub fn append_bytes(&mut self, label: &'static str, bytes: &[u8]) {
        update_framed(&mut self.hasher, label.as_bytes());
        update_framed(&mut self.hasher, bytes);
    }

    /// Appends a point in its canonical encoding.
    pub fn append_point(&mut self, label: &'static str, point: &RistrettoPoint) {
        self.append_bytes(label, point.compress().as_bytes());
    }

    /// Appends a scalar in its canonical encoding.
    pub fn append_scalar(&mut self, label: &'static str, scalar: &Scalar) {
        self.append_bytes(label, scalar.as_bytes());
    }

    /// Appends an integer as 8 little-endian bytes.
    pub fn append_u64(&mut self, label: &'static str, value: u64) {
        self.append_bytes(label, &value.to_le_bytes());
    }

    /// Derives a challenge from everything appended so far.
    pub fn challenge_scalar(&self, label: &'static str) -> Scalar {
        let mut hasher = self.hasher.clone();
        update_framed(&mut hasher, label.as_bytes());
        let wide: [u8; 64] = hasher.finalize().into();
        Scalar::from_bytes_mod_order_wide(&wide)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_parts;

    #[test]
    fn challenges_depend_on_every_input() {
        let context = hash_parts("test", &[b"election"]);
        let base = {
            let mut t = Transcript::new("proof", &context);
            t.append_u64("n", 1);
            t.challenge_scalar("c")
        };
        let mut other_domain = Transcript::new("proof2", &context);
        other_domain.append_u64("n", 1);
        let other_context = hash_parts("test", &[b"other"]);
        let mut other_ctx = Transcript::new("proof", &other_context);
        other_ctx.append_u64("n", 1);
        let mut other_value = Transcript::new("proof", &context);
        other_value.append_u64("n", 2);
        let mut other_label = Transcript::new("proof", &context);
        other_label.append_u64("m", 1);
        for t in [other_domain, other_ctx, other_value, other_label] {
            assert_ne!(t.challenge_scalar("c"), base);
        }
    }
}
