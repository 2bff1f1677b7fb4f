//! Ed25519 keys of organisations and observers: generated from the operating system's
//! randomness, stored as hex in files only their owner can read, zeroized after use.

use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};
use fairtally_files::{Access, write_new};
use rand::TryRng;
use zeroize::Zeroizing;

use crate::error::ObserveError;

/// First line of a secret key file.
const SECRET_KEY_HEADER: &str = "fairtally ed25519 secret key v1";

/// A new signing key from the operating system's random number generator.
pub fn generate_key() -> Result<SigningKey, ObserveError> {
    let mut secret = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(secret.as_mut())
        .map_err(|e| ObserveError::BadKey {
            item: "new key".into(),
            reason: format!("the operating system gave no randomness: {e}"),
        })?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes `key` to a new file readable only by its owner; refuses to overwrite a file.
pub fn write_secret_key(path: &Path, key: &SigningKey) -> Result<(), ObserveError> {
    let text = Zeroizing::new(format!(
        "{SECRET_KEY_HEADER}\n{}\n",
        hex::encode(key.to_bytes())
    ));
    Ok(write_new(path, text.as_bytes(), Access::OwnerOnly)?)
}

/// Reads a key written by [`write_secret_key`].
pub fn read_secret_key(path: &Path) -> Result<SigningKey, ObserveError> {
    let text =
        Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| ObserveError::Io {
                path: path.to_path_buf(),
                source,
            })?,
        );
    let bad = |reason: &str| ObserveError::BadKey {
        item: path.display().to_string(),
        reason: reason.to_owned(),
    };
    let mut lines = text.lines();
    if lines.next() != Some(SECRET_KEY_HEADER) {
        return Err(bad(&format!(
            "the first line must be `{SECRET_KEY_HEADER}`"
        )));
    }
    let mut secret = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(lines.next().unwrap_or("").trim(), secret.as_mut())
        .map_err(|_| bad("the second line must be 64 hexadecimal digits"))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The hex form of a public key, as documents and command lines carry it.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Parses a public key in hex; refuses encodings that are not a curve point and weak
/// (small-order) keys, which would let anyone forge signatures. `item` names it in errors.
pub fn parse_public_key(text: &str, item: &str) -> Result<VerifyingKey, ObserveError> {
    let bad = |reason: &str| ObserveError::BadKey {
        item: item.to_owned(),
        reason: reason.to_owned(),
    };
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes)
        .map_err(|_| bad("a public key is 64 hexadecimal digits"))?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| bad("not a point of the curve"))?;
    if key.is_weak() {
        return Err(bad("a weak (small-order) key"));
    }
    // Only the canonical hex form is accepted, so one key has one spelling in documents.
    if hex::encode(bytes) != text {
        return Err(bad("must be written in lower-case hex"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_files_and_are_not_overwritten() -> Result<(), ObserveError> {
        let dir = tempfile::tempdir().map_err(|source| ObserveError::Io {
            path: "tmp".into(),
            source,
        })?;
        let path = dir.path().join("k.key");
        let key = generate_key()?;
        write_secret_key(&path, &key)?;
        assert_eq!(read_secret_key(&path)?.to_bytes(), key.to_bytes());
        assert!(matches!(
            write_secret_key(&path, &key),
            Err(ObserveError::Write { source }) if source.source.kind() == std::io::ErrorKind::AlreadyExists
        ));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
            assert_eq!(mode.ok(), Some(0o600));
        }
        let public = public_key_hex(&key.verifying_key());
        assert_eq!(parse_public_key(&public, "k")?, key.verifying_key());
        Ok(())
    }

    #[test]
    fn bad_keys_are_refused() {
        let dir = tempfile::tempdir().ok();
        if let Some(dir) = &dir {
            let path = dir.path().join("bad.key");
            let _ = std::fs::write(&path, "something else\n00\n");
            assert!(matches!(
                read_secret_key(&path),
                Err(ObserveError::BadKey { .. })
            ));
            let _ = std::fs::write(&path, format!("{SECRET_KEY_HEADER}\nzz\n"));
            assert!(matches!(
                read_secret_key(&path),
                Err(ObserveError::BadKey { .. })
            ));
        }
        // The identity point is a weak key; short, upper-case and non-hex text are refused.
        let identity = format!("01{}", "00".repeat(31));
        let upper = "D75A980182B10AB7D54BFED3C964073A0EE172F3DAA62325AF021A68F707511A";
        for text in [identity.as_str(), "abc", upper, &"g".repeat(64)] {
            assert!(parse_public_key(text, "k").is_err(), "{text}");
        }
        let ok = upper.to_lowercase();
        assert!(parse_public_key(&ok, "k").is_ok());
    }
}
