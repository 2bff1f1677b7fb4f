//! Shares encrypted to their recipient, and complaints that anyone can check.
//!
//! A guardian sends guardian x its share P(x) encrypted with an ephemeral Diffie–Hellman key on
//! ristretto255: E = g^e, S = R^e for the recipient's public key R, key = HKDF-SHA256(salt =
//! context, ikm = S, info = domain ‖ E ‖ R), then ChaCha20-Poly1305 with a zero nonce (every key
//! is used once) and the caller's associated data (which names sender and recipient).
//!
//! If the share is wrong, the recipient complains by disclosing S with a Chaum–Pedersen proof
//! that log_g(R) = log_E(S). Anyone can then decrypt the share and check it against the sender's
//! commitments, without learning the recipient's secret key.

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use hkdf::Hkdf;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::encoding::scalar_from_bytes;
use crate::hash::Digest;
use crate::proofs::DecryptionProof;
use crate::random::random_scalar;
use crate::{CryptoError, RistrettoPoint, Scalar};

const DOMAIN: &str = "fairtally/share-transport/v1";

/// A share encrypted to its recipient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedShare {
    /// E = g^e.
    #[serde(with = "crate::encoding::hex_point")]
    pub ephemeral: RistrettoPoint,
    /// ChaCha20-Poly1305 ciphertext and tag of the 32-byte share.
    #[serde(with = "hex::serde")]
    pub ciphertext: Vec<u8>,
}

/// The disclosed Diffie–Hellman value of an encrypted share, proven correct.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDisclosure {
    /// S = E^x for the recipient's secret key x.
    #[serde(with = "crate::encoding::hex_point")]
    pub shared: RistrettoPoint,
    /// Proof that log_g(R) = log_E(S).
    pub proof: DecryptionProof,
}

fn cipher(
    context: &Digest,
    shared: &RistrettoPoint,
    ephemeral: &RistrettoPoint,
    recipient: &RistrettoPoint,
) -> ChaCha20Poly1305 {
    let ikm = Zeroizing::new(shared.compress().to_bytes());
    let mut info = DOMAIN.as_bytes().to_vec();
    info.extend_from_slice(ephemeral.compress().as_bytes());
    info.extend_from_slice(recipient.compress().as_bytes());
    let mut key = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160, so expansion cannot fail.
    let expanded =
        Hkdf::<Sha256>::new(Some(&context.0), ikm.as_slice()).expand(&info, key.as_mut_slice());
    debug_assert!(expanded.is_ok());
    ChaCha20Poly1305::new(&(*key).into())
}

fn open(
    context: &Digest,
    associated: &[u8],
    shared: &RistrettoPoint,
    recipient: &RistrettoPoint,
    enc: &EncryptedShare,
) -> Result<Scalar, CryptoError> {
    let plaintext = Zeroizing::new(
        cipher(context, shared, &enc.ephemeral, recipient)
            .decrypt(
                &Default::default(),
                Payload {
                    msg: &enc.ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| CryptoError::ShareDecryption)?,
    );
    scalar_from_bytes(&plaintext)
}

/// Encrypts `share` to the guardian whose public key is `recipient`.
pub fn encrypt_share(
    context: &Digest,
    associated: &[u8],
    recipient: &RistrettoPoint,
    share: &Scalar,
) -> EncryptedShare {
    let e = Zeroizing::new(random_scalar());
    let ephemeral = RISTRETTO_BASEPOINT_TABLE * &*e;
    let shared = recipient * *e;
    let ciphertext = cipher(context, &shared, &ephemeral, recipient)
        .encrypt(
            &Default::default(),
            Payload {
                msg: share.as_bytes(),
                aad: associated,
            },
        )
        .unwrap_or_default();
    EncryptedShare {
        ephemeral,
        ciphertext,
    }
}

/// Decrypts a share with the recipient's secret key.
pub fn decrypt_share(
    context: &Digest,
    associated: &[u8],
    recipient_secret: &Scalar,
    enc: &EncryptedShare,
) -> Result<Scalar, CryptoError> {
    let recipient = RISTRETTO_BASEPOINT_TABLE * recipient_secret;
    open(
        context,
        associated,
        &(enc.ephemeral * recipient_secret),
        &recipient,
        enc,
    )
}

/// Discloses the Diffie–Hellman value of `enc`, with a proof, so that anyone can open it.
pub fn disclose_key(
    context: &Digest,
    associated: &[u8],
    recipient_secret: &Scalar,
    enc: &EncryptedShare,
) -> KeyDisclosure {
    let shared = enc.ephemeral * recipient_secret;
    let proof = DecryptionProof::prove(
        context,
        associated,
        recipient_secret,
        &enc.ephemeral,
        &shared,
    );
    KeyDisclosure { shared, proof }
}

/// Checks a disclosure against the recipient's public key and decrypts the share with it.
pub fn open_disclosed(
    context: &Digest,
    associated: &[u8],
    recipient: &RistrettoPoint,
    enc: &EncryptedShare,
    disclosure: &KeyDisclosure,
) -> Result<Scalar, CryptoError> {
    disclosure.proof.verify(
        context,
        associated,
        recipient,
        &enc.ephemeral,
        &disclosure.shared,
    )?;
    open(context, associated, &disclosure.shared, recipient, enc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::hash_parts;

    #[test]
    fn round_trip_and_public_complaint() {
        let context = hash_parts("test", &[b"election"]);
        let secret = random_scalar();
        let recipient = RISTRETTO_BASEPOINT_TABLE * &secret;
        let share = random_scalar();
        let enc = encrypt_share(&context, b"1->2", &recipient, &share);
        assert_eq!(decrypt_share(&context, b"1->2", &secret, &enc), Ok(share));
        assert_eq!(
            decrypt_share(&context, b"1->3", &secret, &enc),
            Err(CryptoError::ShareDecryption)
        );
        assert!(decrypt_share(&context, b"1->2", &random_scalar(), &enc).is_err());

        let disclosure = disclose_key(&context, b"1->2", &secret, &enc);
        assert_eq!(
            open_disclosed(&context, b"1->2", &recipient, &enc, &disclosure),
            Ok(share)
        );
        // A recipient cannot disclose a false key to frame the sender.
        let mut lie = disclosure.clone();
        lie.shared += RISTRETTO_BASEPOINT_TABLE * &Scalar::ONE;
        assert!(open_disclosed(&context, b"1->2", &recipient, &enc, &lie).is_err());
        let mut tampered = enc.clone();
        tampered.ciphertext[0] ^= 1;
        assert_eq!(
            open_disclosed(&context, b"1->2", &recipient, &tampered, &disclosure),
            Err(CryptoError::ShareDecryption)
        );
    }
}
