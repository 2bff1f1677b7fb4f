//! Reading values out of a record's JSON with errors that name the file and the item.

use num_bigint::BigUint;
use serde_json::Value;

use crate::error::{Error, Result};

/// A JSON value together with where it was found: the file and the path inside it.
#[derive(Clone)]
pub struct Node<'a> {
    /// The value.
    pub value: &'a Value,
    file: &'a str,
    path: String,
    /// Whether numbers and byte strings are base64 (electionguard-kotlin's 2.1 layout) rather
    /// than hexadecimal; inherited by every child.
    base64: bool,
}

impl<'a> Node<'a> {
    /// The root of a file.
    pub fn root(value: &'a Value, file: &'a str) -> Node<'a> {
        Node {
            value,
            file,
            path: String::new(),
            base64: false,
        }
    }

    /// The root of a file whose numbers and byte strings are base64 (see [`Node::int`]).
    pub fn root_base64(value: &'a Value, file: &'a str) -> Node<'a> {
        Node {
            base64: true,
            ..Node::root(value, file)
        }
    }

    /// An error about this node.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::Format {
            file: self.file.to_string(),
            item: if self.path.is_empty() {
                "(top level)".to_string()
            } else {
                self.path.clone()
            },
            reason: reason.into(),
        }
    }

    fn child_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// A member that must be present.
    pub fn get(&self, key: &str) -> Result<Node<'a>> {
        match self.value.get(key) {
            Some(value) if !value.is_null() => Ok(Node {
                value,
                file: self.file,
                path: self.child_path(key),
                base64: self.base64,
            }),
            _ => Err(self.error(format!("has no member \"{key}\""))),
        }
    }

    /// A member that may be absent or null.
    pub fn opt(&self, key: &str) -> Option<Node<'a>> {
        self.value
            .get(key)
            .filter(|v| !v.is_null())
            .map(|value| Node {
                value,
                file: self.file,
                path: self.child_path(key),
                base64: self.base64,
            })
    }

    /// The elements of an array.
    pub fn array(&self) -> Result<Vec<Node<'a>>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| self.error("is not an array"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                file: self.file,
                path: format!("{}[{i}]", self.path),
                base64: self.base64,
            })
            .collect())
    }

    /// The members of an object, in file order.
    pub fn members(&self) -> Result<Vec<(&'a str, Node<'a>)>> {
        let map = self
            .value
            .as_object()
            .ok_or_else(|| self.error("is not an object"))?;
        Ok(map
            .iter()
            .map(|(k, value)| {
                (
                    k.as_str(),
                    Node {
                        value,
                        file: self.file,
                        path: self.child_path(k),
                        base64: self.base64,
                    },
                )
            })
            .collect())
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| self.error("is not a string"))
    }

    /// A string, or an integer written as its decimal digits (ids are either in the samples).
    pub fn id(&self) -> Result<String> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            _ => Err(self.error("is not a string or an integer")),
        }
    }

    /// A non-negative integer that fits 64 bits.
    pub fn u64(&self) -> Result<u64> {
        self.value
            .as_u64()
            .ok_or_else(|| self.error("is not a non-negative integer"))
    }

    /// A boolean.
    pub fn bool(&self) -> Result<bool> {
        self.value
            .as_bool()
            .ok_or_else(|| self.error("is not true or false"))
    }

    /// A big integer written in hexadecimal, either as a string or as `{"data": "..."}`
    /// (electionguard-python 0.95 wraps every number so).
    pub fn hex(&self) -> Result<BigUint> {
        let text = match self.value {
            Value::String(s) => s.as_str(),
            Value::Object(map) => match map.get("data") {
                Some(Value::String(s)) => s.as_str(),
                _ => return Err(self.error("is an object without a hexadecimal \"data\" member")),
            },
            _ => return Err(self.error("is not a hexadecimal number")),
        };
        parse_hex(text)
            .ok_or_else(|| self.error(format!("\"{}\" is not a hexadecimal number", shorten(text))))
    }
}

impl Node<'_> {
    /// A big integer in the file's encoding: hexadecimal (see [`Node::hex`]) or, in a base64
    /// file, the big-endian bytes in base64 (at most 1,024 bytes).
    pub fn int(&self) -> Result<BigUint> {
        use base64::Engine;
        if !self.base64 {
            return self.hex();
        }
        let text = self.str()?;
        if text.len() > 1400 {
            return Err(self.error("is longer than any number of ElectionGuard"));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| self.error(format!("\"{}\" is not base64", shorten(text))))?;
        Ok(BigUint::from_bytes_be(&bytes))
    }

    /// A byte string in the file's encoding: base64 in a base64 file (at most 64 KiB), else
    /// hexadecimal digits (see [`Node::hex_bytes`]). Leading zero bytes are kept.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        use base64::Engine;
        if !self.base64 {
            return self.hex_bytes();
        }
        let text = self.str()?;
        if text.len() > 1 << 17 {
            return Err(self.error("is longer than 64 KiB"));
        }
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| self.error(format!("\"{}\" is not base64", shorten(text))))
    }

    /// A byte string written as hexadecimal digits, in either layout (at most 64 KiB).
    pub fn hex_bytes(&self) -> Result<Vec<u8>> {
        let text = self.str()?;
        if text.len() > 1 << 17
            || !text.len().is_multiple_of(2)
            || !text.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(self.error(format!("\"{}\" is not hexadecimal bytes", shorten(text))));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&text[i..i + 2], 16)
                    .map_err(|_| self.error("is not hexadecimal bytes"))
            })
            .collect()
    }
}

/// Parse hexadecimal digits (at most 2,048 of them: no value of ElectionGuard is longer).
pub fn parse_hex(text: &str) -> Option<BigUint> {
    if text.is_empty() || text.len() > 2048 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(text.as_bytes(), 16)
}

fn shorten(text: &str) -> String {
    if text.len() > 40 {
        format!(
            "{}...",
            &text[..text.char_indices().nth(40).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text.to_string()
    }
}
