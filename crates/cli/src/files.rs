//! Reading and writing the JSON files the roles exchange, with the file named in every error.

use std::path::Path;

use anyhow::Context;
use fairtally_election::record::Access;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Parse a JSON file.
pub fn read<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    Ok(fairtally_election::record::read_json(path)?)
}

/// Write pretty JSON, refusing to overwrite an existing file (secrets must never be lost).
pub fn write_new<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_new_with(path, value, Access::Public)
}

/// Write a secret (guardian key or share, voter credential, a prepared ballot's nonces) as
/// pretty JSON readable by its owner only, refusing to overwrite an existing file.
pub fn write_new_secret<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_new_with(path, value, Access::OwnerOnly)
}

fn write_new_with<T: Serialize>(path: &Path, value: &T, access: Access) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!(
            "{} already exists; refusing to overwrite it",
            path.display()
        );
    }
    let write = match access {
        Access::OwnerOnly => fairtally_election::record::write_secret_json,
        _ => fairtally_election::record::write_json,
    };
    write(path, value).with_context(|| format!("writing {}", path.display()))
}
