//! Reading and writing the JSON files the roles exchange, with the file named in every error.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parse a JSON file.
pub fn read<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    Ok(fairtally_election::record::read_json(path)?)
}

/// Write pretty JSON, refusing to overwrite an existing file (secrets must never be lost).
pub fn write_new<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!(
            "{} already exists; refusing to overwrite it",
            path.display()
        );
    }
    fairtally_election::record::write_json(path, value)
        .with_context(|| format!("writing {}", path.display()))
}
