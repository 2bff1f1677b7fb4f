//! Reading and writing the JSON files the roles exchange, with the file named in every error.
//! Every write goes through `fairtally_files` (synced temporary file, rename, directory sync).

use std::path::Path;

use anyhow::Context;
use fairtally_files::Access;
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

/// Replace a secret file durably (owner-only): readers see the old file or the whole new one.
pub fn replace_secret<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    fairtally_files::write_atomic(path, &pretty(path, value)?, Access::OwnerOnly)?;
    Ok(())
}

fn pretty<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<Vec<u8>> {
    let mut text =
        serde_json::to_vec_pretty(value).with_context(|| format!("encoding {}", path.display()))?;
    text.push(b'\n');
    Ok(text)
}

fn write_new_with<T: Serialize>(path: &Path, value: &T, access: Access) -> anyhow::Result<()> {
    fairtally_files::write_new(path, &pretty(path, value)?, access).map_err(|e| {
        if e.source.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; refusing to overwrite it",
                path.display()
            )
        } else {
            e.into()
        }
    })
}
