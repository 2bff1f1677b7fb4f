//! Confirmation codes: what a voter writes down to find their ballot in the record.
//!
//! A code is the first 135 bits of the ballot hash as 27 Crockford base32 digits, followed by
//! one check digit, printed as seven groups of four (`7K3D-QX2M-…-9TZC`). 135 bits keep a
//! malicious voting device from finding two ballots with the same code (a collision takes about
//! 2^67 hashes). The check digit is a Damm-style check over GF(32): it catches every single
//! mistyped character and every swap of two neighbours, so a mistyped code is refused rather
//! than reported as "not in the record". Parsing accepts what people type: lower case, no or
//! other dashes, spaces, `O` for `0` and `I` or `L` for `1`.

use std::fmt;
use std::str::FromStr;

use fairtally_crypto::hash::Digest;

use crate::error::ElectionError;

/// The Crockford base32 alphabet (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Digits taken from the hash.
const DIGITS: usize = 27;
/// Digits printed: the hash digits and the check digit.
const PRINTED: usize = DIGITS + 1;
/// Bytes holding the 135 bits (the last bit of the last byte is zero).
const BYTES: usize = 17;

/// A short, human-friendly code that names a ballot; see the module documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConfirmationCode([u8; BYTES]);

impl ConfirmationCode {
    /// The code of a ballot hash: its first 135 bits.
    pub fn from_hash(hash: &Digest) -> Self {
        let mut bytes = [0u8; BYTES];
        bytes.copy_from_slice(&hash.0[..BYTES]);
        bytes[BYTES - 1] &= 0xfe;
        ConfirmationCode(bytes)
    }

    /// The smallest and the largest ballot hash with this code (inclusive): the code's 135
    /// bits followed by all zeros, and by all ones. A lookup by code is a range scan of hashes.
    pub fn hash_range(&self) -> ([u8; 32], [u8; 32]) {
        let (mut low, mut high) = ([0u8; 32], [0xffu8; 32]);
        low[..BYTES].copy_from_slice(&self.0);
        high[..BYTES].copy_from_slice(&self.0);
        high[BYTES - 1] |= 0x01;
        (low, high)
    }

    /// The 27 five-bit digits, most significant first.
    fn digits(&self) -> [u8; DIGITS] {
        let mut digits = [0u8; DIGITS];
        for (i, digit) in digits.iter_mut().enumerate() {
            *digit = (0..5).fold(0u8, |acc, b| (acc << 1) | self.bit(5 * i + b));
        }
        digits
    }

    fn bit(&self, i: usize) -> u8 {
        (self.0[i / 8] >> (7 - i % 8)) & 1
    }

    fn from_digits(digits: &[u8; DIGITS]) -> Self {
        let mut bytes = [0u8; BYTES];
        for (i, digit) in digits.iter().enumerate() {
            for b in 0..5 {
                let bit = (digit >> (4 - b)) & 1;
                let at = 5 * i + b;
                bytes[at / 8] |= bit << (7 - at % 8);
            }
        }
        ConfirmationCode(bytes)
    }

    /// The check digit of the 27 hash digits.
    fn check_digit(digits: &[u8; DIGITS]) -> u8 {
        times_alpha(fold(digits))
    }
}

/// Multiplication by α = x in GF(32) = GF(2)[x] / (x^5 + x^2 + 1).
fn times_alpha(v: u8) -> u8 {
    let shifted = v << 1;
    if shifted & 0x20 != 0 {
        shifted ^ 0x25
    } else {
        shifted
    }
}

/// s ← α·s ⊕ d over the digits, from s = 0. Folding a whole code (hash digits and check digit)
/// gives 0; a code with one digit changed, or two neighbours swapped, does not.
fn fold(digits: &[u8]) -> u8 {
    digits.iter().fold(0, |s, &d| times_alpha(s) ^ d)
}

impl fmt::Display for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        let check = Self::check_digit(&digits);
        for (i, &d) in digits.iter().chain(std::iter::once(&check)).enumerate() {
            if i > 0 && i % 4 == 0 {
                f.write_str("-")?;
            }
            write!(f, "{}", char::from(CROCKFORD[usize::from(d)]))?;
        }
        Ok(())
    }
}

/// The value of one typed character, reading `O` as `0` and `I`, `L` as `1`, in any case.
fn digit_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    CROCKFORD
        .iter()
        .position(|&a| char::from(a) == c)
        .map(|p| p as u8)
}

impl FromStr for ConfirmationCode {
    type Err = ElectionError;

    /// Parses a code as people type it; refuses a wrong length, a character outside the
    /// alphabet and a wrong check digit, each with a message saying so.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: String| ElectionError::Ballot {
            code: text.chars().take(64).collect(),
            reason,
        };
        let typed: Vec<char> = text
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .collect();
        if typed.len() != PRINTED {
            return Err(refuse(format!(
                "a confirmation code has {PRINTED} characters (seven groups of four), this has {}",
                typed.len()
            )));
        }
        let mut values = [0u8; PRINTED];
        for (value, &c) in values.iter_mut().zip(&typed) {
            *value = digit_value(c).ok_or_else(|| {
                refuse(format!(
                    "{c:?} is not a confirmation-code character (digits and letters except U)"
                ))
            })?;
        }
        if fold(&values) != 0 {
            return Err(refuse(
                "the check character does not match: the code was mistyped (check every \
                 character against the one you wrote down)"
                    .into(),
            ));
        }
        let mut digits = [0u8; DIGITS];
        digits.copy_from_slice(&values[..DIGITS]);
        Ok(Self::from_digits(&digits))
    }
}

#[cfg(test)]
mod tests {
    use fairtally_crypto::hash::hash_parts;

    use super::*;

    fn sample() -> ConfirmationCode {
        ConfirmationCode::from_hash(&hash_parts("fairtally/test", &[b"a ballot"]))
    }

    #[test]
    fn the_hash_range_holds_exactly_the_hashes_with_the_code() {
        let hash = hash_parts("fairtally/test", &[b"a ballot"]);
        let code = ConfirmationCode::from_hash(&hash);
        let (low, high) = code.hash_range();
        assert!(low <= hash.0 && hash.0 <= high);
        assert_eq!(ConfirmationCode::from_hash(&Digest(low)), code);
        assert_eq!(ConfirmationCode::from_hash(&Digest(high)), code);
        // One past either end is another code.
        let mut below = low;
        below[BYTES - 1] = below[BYTES - 1].wrapping_sub(1);
        let mut above = high;
        above[BYTES - 1] = above[BYTES - 1].wrapping_add(1);
        for outside in [below, above] {
            assert_ne!(ConfirmationCode::from_hash(&Digest(outside)), code);
        }
    }

    #[test]
    fn codes_are_seven_groups_of_four_with_135_bits_of_the_hash() {
        let code = sample().to_string();
        assert_eq!(code.len(), 34);
        assert!(
            code.split('-')
                .all(|g| g.len() == 4 && g.bytes().all(|b| CROCKFORD.contains(&b))),
            "{code}"
        );
        assert_eq!(
            ConfirmationCode([0; BYTES]).to_string(),
            "0000-0000-0000-0000-0000-0000-0000"
        );
        // All ones: 27 digits Z (the last carries the zeroed 136th bit) and its check digit.
        let mut ones = [0xff; 32];
        ones[16] = 0xff;
        let code = ConfirmationCode::from_hash(&Digest(ones));
        assert_eq!(code.0[16], 0xfe);
        assert!(
            code.to_string()
                .starts_with("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZ")
        );
        // Two hashes differing only after bit 135 share a code; differing before, they don't.
        let mut other = ones;
        other[16] = 0xfe;
        other[20] = 0;
        assert_eq!(ConfirmationCode::from_hash(&Digest(other)), code);
        other[16] = 0xfd;
        assert_ne!(ConfirmationCode::from_hash(&Digest(other)), code);
    }

    #[test]
    fn parsing_accepts_common_spellings() -> Result<(), ElectionError> {
        let code = sample();
        let printed = code.to_string();
        assert_eq!(printed.parse::<ConfirmationCode>()?, code);
        assert_eq!(printed.to_lowercase().parse::<ConfirmationCode>()?, code);
        assert_eq!(printed.replace('-', "").parse::<ConfirmationCode>()?, code);
        assert_eq!(printed.replace('-', " ").parse::<ConfirmationCode>()?, code);
        let lookalikes = printed.replace('0', "o").replace('1', "l");
        assert_eq!(lookalikes.parse::<ConfirmationCode>()?, code);
        assert_eq!(printed.replace('1', "I").parse::<ConfirmationCode>()?, code);
        Ok(())
    }

    #[test]
    fn every_single_typo_and_neighbour_swap_is_refused() {
        let printed: Vec<char> = sample().to_string().replace('-', "").chars().collect();
        for i in 0..printed.len() {
            for &c in CROCKFORD {
                let c = char::from(c);
                if c == printed[i] {
                    continue;
                }
                let mut typo = printed.clone();
                typo[i] = c;
                let typo: String = typo.into_iter().collect();
                let err = typo.parse::<ConfirmationCode>().unwrap_err().to_string();
                assert!(err.contains("check character"), "{typo}: {err}");
            }
            if i + 1 < printed.len() && printed[i] != printed[i + 1] {
                let mut swapped = printed.clone();
                swapped.swap(i, i + 1);
                let swapped: String = swapped.into_iter().collect();
                assert!(swapped.parse::<ConfirmationCode>().is_err(), "{swapped}");
            }
        }
    }

    #[test]
    fn bad_lengths_and_characters_are_named() {
        let err = "7K3D-QX2M"
            .parse::<ConfirmationCode>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("28 characters"), "{err}");
        let mut printed = sample().to_string();
        printed.replace_range(0..1, "U");
        let err = printed.parse::<ConfirmationCode>().unwrap_err().to_string();
        assert!(
            err.contains("'U' is not a confirmation-code character"),
            "{err}"
        );
    }
}
