//! Typed, size-limited log entries and their canonical leaf encoding.
//!
//! An entry is a *kind* (which crate and which record it is, e.g. `election/ballot` or
//! `observe/protocol`) and the *body*: the canonical bytes the owning crate defines. The board
//! does not interpret bodies. The leaf data that is hashed and published is
//!
//! ```text
//! u8 kind_len || kind (ASCII) || body
//! ```
//!
//! and is at most [`MAX_ENTRY_LEN`] bytes, the largest entry a C2SP tlog-tiles entry bundle can
//! carry (a 16-bit length prefix).

use std::fmt;

use crate::error::BoardError;
use crate::merkle::{Hash, leaf_hash};

/// Largest encoded entry (kind prefix and body), in bytes.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Longest entry kind, in bytes.
pub const MAX_KIND_LEN: usize = 64;

/// The kind of an entry: 1 to 64 characters from `a-z 0-9 . _ - /`, such as `election/ballot`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKind(String);

impl EntryKind {
    /// Checks and wraps a kind name.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] for an empty, too long or badly spelled kind.
    pub fn new(kind: &str) -> Result<Self, BoardError> {
        if kind.is_empty() || kind.len() > MAX_KIND_LEN {
            return Err(BoardError::malformed(
                format!("entry kind {kind:?}"),
                format!("must be 1 to {MAX_KIND_LEN} characters"),
            ));
        }
        if let Some(bad) = kind
            .chars()
            .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-' | '/'))
        {
            return Err(BoardError::malformed(
                format!("entry kind {kind:?}"),
                format!("character {bad:?} is not allowed (use a-z 0-9 . _ - /)"),
            ));
        }
        Ok(Self(kind.to_owned()))
    }

    /// The kind as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One log entry: a kind and the canonical bytes of the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    kind: EntryKind,
    body: Vec<u8>,
}

impl Entry {
    /// Builds an entry, checking its size.
    ///
    /// # Errors
    /// [`BoardError::EntryTooLarge`] when the encoded entry exceeds [`MAX_ENTRY_LEN`].
    pub fn new(kind: EntryKind, body: Vec<u8>) -> Result<Self, BoardError> {
        let len = 1 + kind.0.len() + body.len();
        if len > MAX_ENTRY_LEN {
            return Err(BoardError::EntryTooLarge {
                item: format!("{kind} entry"),
                len,
                max: MAX_ENTRY_LEN,
            });
        }
        Ok(Self { kind, body })
    }

    /// The entry's kind.
    pub fn kind(&self) -> &EntryKind {
        &self.kind
    }

    /// The entry's canonical body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The leaf data: `u8 kind_len || kind || body`.
    pub fn to_leaf_data(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.kind.0.len() + self.body.len());
        // A kind is at most 64 bytes, so its length fits a byte.
        out.push(self.kind.0.len() as u8);
        out.extend_from_slice(self.kind.0.as_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Parses leaf data back into an entry; `item` names the source in errors.
    ///
    /// # Errors
    /// [`BoardError::Malformed`] or [`BoardError::EntryTooLarge`] for bad input.
    pub fn from_leaf_data(data: &[u8], item: &str) -> Result<Self, BoardError> {
        let (&kind_len, rest) = data
            .split_first()
            .ok_or_else(|| BoardError::malformed(item, "empty entry"))?;
        let kind_len = usize::from(kind_len);
        if rest.len() < kind_len {
            return Err(BoardError::malformed(
                item,
                format!(
                    "entry kind needs {kind_len} bytes, only {} left",
                    rest.len()
                ),
            ));
        }
        let (kind, body) = rest.split_at(kind_len);
        let kind = std::str::from_utf8(kind)
            .map_err(|_| BoardError::malformed(item, "entry kind is not UTF-8"))
            .and_then(EntryKind::new)
            .map_err(|e| BoardError::malformed(item, e.to_string()))?;
        Self::new(kind, body.to_vec()).map_err(|e| match e {
            BoardError::EntryTooLarge { len, max, .. } => BoardError::EntryTooLarge {
                item: item.to_owned(),
                len,
                max,
            },
            other => other,
        })
    }

    /// The RFC 9162 leaf hash of the entry.
    pub fn leaf_hash(&self) -> Hash {
        leaf_hash(&self.to_leaf_data())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_checked() {
        assert!(EntryKind::new("election/ballot").is_ok());
        assert!(EntryKind::new("").is_err());
        assert!(EntryKind::new("Election").is_err());
        assert!(EntryKind::new("a b").is_err());
        assert!(EntryKind::new(&"x".repeat(65)).is_err());
    }

    #[test]
    fn leaf_data_round_trips() -> Result<(), BoardError> {
        let entry = Entry::new(EntryKind::new("observe/protocol")?, b"{\"a\":1}".to_vec())?;
        let data = entry.to_leaf_data();
        assert_eq!(data[0], 16);
        assert_eq!(Entry::from_leaf_data(&data, "x")?, entry);
        assert_eq!(entry.leaf_hash(), leaf_hash(&data));
        Ok(())
    }

    #[test]
    fn oversized_and_truncated_entries_are_rejected() -> Result<(), BoardError> {
        let kind = EntryKind::new("k")?;
        assert!(Entry::new(kind.clone(), vec![0; MAX_ENTRY_LEN - 2]).is_ok());
        let err = Entry::new(kind, vec![0; MAX_ENTRY_LEN - 1]);
        assert!(matches!(
            err,
            Err(BoardError::EntryTooLarge { len: 65536, .. })
        ));
        let err = Entry::from_leaf_data(&[5, b'a'], "bundle entry 7");
        assert!(err.is_err_and(|e| e.to_string().starts_with("bundle entry 7:")));
        assert!(Entry::from_leaf_data(&[], "e").is_err());
        assert!(Entry::from_leaf_data(&[1, b'A'], "e").is_err());
        Ok(())
    }
}
