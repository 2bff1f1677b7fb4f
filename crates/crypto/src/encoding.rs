//! Canonical encodings of group elements and scalars.
//!
//! A point is the 32-byte ristretto255 compression; a scalar is its 32-byte little-endian
//! canonical form (reduced modulo ℓ). Decoding rejects wrong lengths, non-canonical bytes and,
//! for points, the identity: no key, ciphertext component or proof commitment may be the
//! identity, and a malicious identity would otherwise pass many equations trivially.

use curve25519_dalek::ristretto::CompressedRistretto;
use serde::Serialize;

use crate::{CryptoError, RistrettoPoint, Scalar};

/// Decodes exactly `N` bytes of lowercase hexadecimal.
pub(crate) fn fixed_from_hex<const N: usize>(text: &str) -> Result<[u8; N], CryptoError> {
    if text.len() != 2 * N {
        return Err(CryptoError::Length {
            expected: N,
            found: text.len() / 2,
        });
    }
    // Uppercase would give a second encoding of the same value; only lowercase is canonical.
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(CryptoError::Hex(abbreviate(text)));
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).map_err(|_| CryptoError::Hex(abbreviate(text)))?;
    Ok(out)
}

fn abbreviate(text: &str) -> String {
    text.chars().take(16).collect::<String>() + if text.len() > 16 { "…" } else { "" }
}

/// Decodes a point, rejecting wrong lengths, non-canonical encodings and the identity.
pub fn point_from_bytes(bytes: &[u8]) -> Result<RistrettoPoint, CryptoError> {
    let compressed = CompressedRistretto::from_slice(bytes).map_err(|_| CryptoError::Length {
        expected: 32,
        found: bytes.len(),
    })?;
    // ristretto255 encodings are canonical and the identity's is 32 zero bytes (RFC 9496,
    // 4.3.2), so the bytes say it without comparing points (which costs two multiplications
    // and an encoding, for every point of every ballot).
    if compressed.as_bytes() == &[0u8; 32] {
        return Err(CryptoError::IdentityPoint);
    }
    compressed.decompress().ok_or(CryptoError::InvalidPoint)
}

/// Decodes a scalar, rejecting wrong lengths and encodings not reduced modulo ℓ.
pub fn scalar_from_bytes(bytes: &[u8]) -> Result<Scalar, CryptoError> {
    let array: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::Length {
        expected: 32,
        found: bytes.len(),
    })?;
    Option::from(Scalar::from_canonical_bytes(array)).ok_or(CryptoError::InvalidScalar)
}

/// Decodes a point from 64 lowercase hex characters (see [`point_from_bytes`]).
pub fn point_from_hex(text: &str) -> Result<RistrettoPoint, CryptoError> {
    point_from_bytes(&fixed_from_hex::<32>(text)?)
}

/// Decodes a scalar from 64 lowercase hex characters (see [`scalar_from_bytes`]).
pub fn scalar_from_hex(text: &str) -> Result<Scalar, CryptoError> {
    scalar_from_bytes(&fixed_from_hex::<32>(text)?)
}

/// Bytes written as one lowercase hex string, without building a `String` first: the ballot
/// box encodes every ballot it accepts, and the `hex` crate's `encode` pushes one `char` at a
/// time. Up to [`HexBytes::MAX`] bytes (a signature); longer input is a serialization error.
pub struct HexBytes<'a>(pub &'a [u8]);

impl HexBytes<'_> {
    /// The most bytes written at once.
    pub const MAX: usize = 64;
}

impl Serialize for HexBytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut buffer = [0u8; 2 * HexBytes::MAX];
        let out = buffer.get_mut(..2 * self.0.len()).ok_or_else(|| {
            S::Error::custom(format!(
                "{} bytes are too many to write as hex",
                self.0.len()
            ))
        })?;
        hex::encode_to_slice(self.0, out).map_err(S::Error::custom)?;
        s.serialize_str(std::str::from_utf8(out).map_err(S::Error::custom)?)
    }
}

/// Reads one string value and hands it to `read`, without an allocation when the input holds
/// it as is (serde's `Cow<str>` and `String` always copy it: a ballot holds hundreds).
///
/// # Errors
/// The input's error, or `read`'s as a custom one.
pub fn read_str<'de, D, T, E>(d: D, read: impl FnOnce(&str) -> Result<T, E>) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    E: std::fmt::Display,
{
    d.deserialize_str(ReadStr(read))
}

/// [`read_str`] for a list of strings: `read` gets each one with its position.
///
/// # Errors
/// The input's error, or `read`'s as a custom one.
pub fn read_str_seq<'de, D, T, E>(
    d: D,
    read: impl FnMut(usize, &str) -> Result<T, E>,
) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    E: std::fmt::Display,
{
    d.deserialize_seq(ReadStrSeq(read))
}

struct ReadStr<F>(F);

impl<'de, T, E: std::fmt::Display, F: FnOnce(&str) -> Result<T, E>> serde::de::Visitor<'de>
    for ReadStr<F>
{
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<Er: serde::de::Error>(self, text: &str) -> Result<T, Er> {
        (self.0)(text).map_err(Er::custom)
    }
}

struct ReadStrSeq<F>(F);

impl<'de, T, E: std::fmt::Display, F: FnMut(usize, &str) -> Result<T, E>> serde::de::Visitor<'de>
    for ReadStrSeq<F>
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of strings")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(mut self, mut seq: A) -> Result<Vec<T>, A::Error> {
        // The input's own length hint is not trusted for the allocation.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(value) = seq.next_element_seed(Element {
            position: out.len(),
            read: &mut self.0,
        })? {
            out.push(value);
        }
        Ok(out)
    }
}

struct Element<'f, F> {
    position: usize,
    read: &'f mut F,
}

impl<'de, T, E: std::fmt::Display, F: FnMut(usize, &str) -> Result<T, E>>
    serde::de::DeserializeSeed<'de> for Element<'_, F>
{
    type Value = T;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        let position = self.position;
        read_str(d, |text| (self.read)(position, text))
    }
}

/// The canonical encoding of a point as lowercase hex.
pub fn point_to_hex(point: &RistrettoPoint) -> String {
    hex::encode(point.compress().as_bytes())
}

/// The canonical encoding of a scalar as lowercase hex.
pub fn scalar_to_hex(scalar: &Scalar) -> String {
    hex::encode(scalar.as_bytes())
}

/// A point together with its canonical encoding, so that hashing and writing it never pay for a
/// second compression (which costs as much as decoding). Serializes as lowercase hex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EncodedPoint {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl EncodedPoint {
    /// Compresses a computed point once.
    pub fn new(point: RistrettoPoint) -> Self {
        EncodedPoint {
            point,
            bytes: point.compress().to_bytes(),
        }
    }

    /// Decodes and validates an encoding (see [`point_from_bytes`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let point = point_from_bytes(bytes)?;
        let mut array = [0u8; 32];
        array.copy_from_slice(bytes);
        Ok(EncodedPoint {
            point,
            bytes: array,
        })
    }

    /// The point.
    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    /// Its canonical encoding.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl Serialize for EncodedPoint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        HexBytes(&self.bytes).serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for EncodedPoint {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        read_str(d, |text| {
            fixed_from_hex::<32>(text).and_then(|bytes| EncodedPoint::from_bytes(&bytes))
        })
    }
}

/// Serde adapter for a [`RistrettoPoint`] as lowercase hex, validated on read.
pub mod hex_point {
    use serde::{Deserializer, Serialize, Serializer};

    use crate::RistrettoPoint;

    /// Writes the canonical hex encoding.
    pub fn serialize<S: Serializer>(point: &RistrettoPoint, s: S) -> Result<S::Ok, S::Error> {
        super::HexBytes(point.compress().as_bytes()).serialize(s)
    }

    /// Reads and validates a point.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RistrettoPoint, D::Error> {
        super::read_str(d, super::point_from_hex)
    }
}

/// Serde adapter for a [`Scalar`] as lowercase hex, validated on read.
pub mod hex_scalar {
    use serde::{Deserializer, Serialize, Serializer};

    use crate::Scalar;

    /// Writes the canonical hex encoding.
    pub fn serialize<S: Serializer>(scalar: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        super::HexBytes(scalar.as_bytes()).serialize(s)
    }

    /// Reads and validates a scalar.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        super::read_str(d, super::scalar_from_hex)
    }
}

/// Serde adapter for a list of [`RistrettoPoint`]s as lowercase hex strings.
pub mod hex_points {
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};

    use crate::RistrettoPoint;

    /// Writes each point's canonical hex encoding.
    pub fn serialize<S: Serializer>(points: &[RistrettoPoint], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(points.len()))?;
        for point in points {
            seq.serialize_element(&super::HexBytes(point.compress().as_bytes()))?;
        }
        seq.end()
    }

    /// Reads and validates each point.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<RistrettoPoint>, D::Error> {
        super::read_str_seq(d, |i, text| {
            super::point_from_hex(text).map_err(|e| format!("point {i}: {e}"))
        })
    }
}

/// Serde adapter for a list of [`Scalar`]s as lowercase hex strings.
pub mod hex_scalars {
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};

    use crate::Scalar;

    /// Writes each scalar's canonical hex encoding.
    pub fn serialize<S: Serializer>(scalars: &[Scalar], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(scalars.len()))?;
        for scalar in scalars {
            seq.serialize_element(&super::HexBytes(scalar.as_bytes()))?;
        }
        seq.end()
    }

    /// Reads and validates each scalar.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Scalar>, D::Error> {
        super::read_str_seq(d, |i, text| {
            super::scalar_from_hex(text).map_err(|e| format!("scalar {i}: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Scalars(#[serde(with = "hex_scalars")] Vec<Scalar>);

    #[test]
    fn lists_are_read_in_place_with_each_bad_item_named_by_its_position() {
        let one = scalar_to_hex(&Scalar::ONE);
        let read = |json: &str| serde_json::from_str::<Scalars>(json).map_err(|e| e.to_string());
        let parsed = read(&format!("[\"{one}\", \"{one}\"]"));
        assert_eq!(parsed.map(|s| s.0), Ok(vec![Scalar::ONE; 2]));
        // An escaped string is read too (from the parser's scratch space, not in place).
        let escaped = format!("[\"\\u0030{}\"]", &one[1..]);
        assert_eq!(read(&escaped).map(|s| s.0), Ok(vec![Scalar::ONE]));
        let error = |json: &str| read(json).err().unwrap_or_default();
        assert!(error(&format!("[\"{one}\", \"{one}\", \"ab\"]")).starts_with("scalar 2: "));
        assert!(error(&format!("[\"{one}\", 5]")).contains("expected a string"));
        assert!(error("\"ab\"").contains("expected a list of strings"));
    }

    #[test]
    fn hex_bytes_write_what_hex_encode_writes_up_to_a_signature_and_refuse_more() {
        let bytes: Vec<u8> = (0..=HexBytes::MAX as u8)
            .map(|b| b.wrapping_mul(37))
            .collect();
        for n in 0..=HexBytes::MAX {
            let written = serde_json::to_string(&HexBytes(&bytes[..n])).ok();
            assert_eq!(written, Some(format!("\"{}\"", hex::encode(&bytes[..n]))));
        }
        let too_long = serde_json::to_string(&HexBytes(&bytes))
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            too_long.as_deref(),
            Some("65 bytes are too many to write as hex")
        );
    }

    /// Encodings of small multiples of the base point, from the ristretto255 specification
    /// (RFC 9496, appendix A.1).
    const MULTIPLES: [&str; 4] = [
        "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76",
        "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919",
        "94741f5d5d52755ece4f23f044ee27d5d1ea1e2bd196b462166b16152a9d0259",
        "da80862773358b466ffadfe0b3293ab3d9fd53c5ea6c955358f568322daf6a57",
    ];

    #[test]
    fn published_multiples_of_the_base_point() {
        let mut point = RISTRETTO_BASEPOINT_POINT;
        for expected in MULTIPLES {
            assert_eq!(point_to_hex(&point), expected);
            assert_eq!(point_from_hex(expected), Ok(point));
            point += RISTRETTO_BASEPOINT_POINT;
        }
    }

    #[test]
    fn rejects_identity_non_canonical_and_bad_lengths() {
        // The identity's one encoding is all zeros: what `point_from_bytes` looks for.
        use curve25519_dalek::traits::Identity;
        assert_eq!(RistrettoPoint::identity().compress().to_bytes(), [0u8; 32]);
        assert_eq!(
            point_from_bytes(&[0u8; 32]),
            Err(CryptoError::IdentityPoint)
        );
        // RFC 9496 A.2: a non-canonical field encoding (p itself).
        let non_canonical = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
        assert_eq!(
            point_from_hex(non_canonical),
            Err(CryptoError::InvalidPoint)
        );
        // RFC 9496 A.2: a negative field element.
        let negative = "0100000000000000000000000000000000000000000000000000000000000000";
        assert_eq!(point_from_hex(negative), Err(CryptoError::InvalidPoint));
        assert!(matches!(
            point_from_bytes(&[1u8; 31]),
            Err(CryptoError::Length {
                expected: 32,
                found: 31
            })
        ));
        // ℓ itself is not a canonical scalar.
        let order = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        assert_eq!(scalar_from_hex(order), Err(CryptoError::InvalidScalar));
        assert!(matches!(
            scalar_from_hex("ab"),
            Err(CryptoError::Length { .. })
        ));
        let upper = MULTIPLES[0].to_uppercase();
        assert!(matches!(point_from_hex(&upper), Err(CryptoError::Hex(_))));
    }

    proptest! {
        #[test]
        fn scalar_round_trip(bytes in proptest::array::uniform32(any::<u8>())) {
            let scalar = Scalar::from_bytes_mod_order(bytes);
            prop_assert_eq!(scalar_from_hex(&scalar_to_hex(&scalar)), Ok(scalar));
            let point = RISTRETTO_BASEPOINT_POINT * scalar;
            if scalar != Scalar::ZERO {
                prop_assert_eq!(point_from_hex(&point_to_hex(&point)), Ok(point));
            }
        }
    }
}
