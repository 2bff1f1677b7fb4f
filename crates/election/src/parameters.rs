//! The election parameters (how many guardians, how many of them decrypt) and the ceremony
//! context that binds the key ceremony's proofs to the manifest and parameters.

use fairtally_crypto::hash::{Digest, hash_parts};
use serde::{Deserialize, Serialize};

use crate::error::{ElectionError, Result};
use crate::manifest::Manifest;
use crate::record::{ItemKind, RecordItem};

/// The largest number of guardians accepted (the ceremony is quadratic in it).
pub const MAX_GUARDIANS: u32 = 100;

/// Domain separator of the ceremony context.
pub const CEREMONY_CONTEXT_DOMAIN: &str = "fairtally/ceremony-context/v1";

/// The key ceremony's shape: `guardians` trustees, any `threshold` of whom can decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionParameters {
    /// n: the number of guardians (sequence numbers 1..=n).
    pub guardians: u32,
    /// k: the number of guardians needed to decrypt (1 <= k <= n).
    pub threshold: u32,
}

impl ElectionParameters {
    /// Parameters after checking 1 <= threshold <= guardians <= [`MAX_GUARDIANS`].
    pub fn new(guardians: u32, threshold: u32) -> Result<Self> {
        let parameters = ElectionParameters {
            guardians,
            threshold,
        };
        parameters.validate()?;
        Ok(parameters)
    }

    /// Check 1 <= threshold <= guardians <= [`MAX_GUARDIANS`].
    pub fn validate(&self) -> Result<()> {
        if self.guardians == 0 || self.guardians > MAX_GUARDIANS {
            return Err(ElectionError::Parameters(format!(
                "the number of guardians must be 1 to {MAX_GUARDIANS}, got {}",
                self.guardians
            )));
        }
        if self.threshold == 0 || self.threshold > self.guardians {
            return Err(ElectionError::Parameters(format!(
                "the threshold must be 1 to the number of guardians ({}), got {}",
                self.guardians, self.threshold
            )));
        }
        Ok(())
    }

    /// The guardians' sequence numbers, 1..=n.
    pub fn guardian_indices(&self) -> impl Iterator<Item = u32> {
        1..=self.guardians
    }
}

impl RecordItem for ElectionParameters {
    const KIND: ItemKind = ItemKind::Parameters;
}

/// The context of the key ceremony's proofs: `H(CEREMONY_CONTEXT_DOMAIN, manifest, parameters)`
/// over their canonical bytes. The election's base hash extends it once the ceremony is done.
pub fn ceremony_context(manifest: &Manifest, parameters: &ElectionParameters) -> Digest {
    hash_parts(
        CEREMONY_CONTEXT_DOMAIN,
        &[&manifest.canonical_bytes(), &parameters.canonical_bytes()],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_outside_one_to_n_are_rejected() {
        assert!(ElectionParameters::new(5, 3).is_ok());
        assert!(ElectionParameters::new(1, 1).is_ok());
        for (n, k) in [(0, 0), (3, 0), (3, 4), (MAX_GUARDIANS + 1, 1)] {
            let err = ElectionParameters::new(n, k).unwrap_err().to_string();
            assert!(err.starts_with("parameters:"), "{err}");
        }
    }

    #[test]
    fn ceremony_context_depends_on_manifest_and_parameters() -> Result<()> {
        let m = Manifest::default_demo()?;
        let a = ceremony_context(&m, &ElectionParameters::new(5, 3)?);
        assert_ne!(a, ceremony_context(&m, &ElectionParameters::new(5, 2)?));
        let mut m2 = m.clone();
        m2.title.push('!');
        assert_ne!(a, ceremony_context(&m2, &ElectionParameters::new(5, 3)?));
        Ok(())
    }
}
