//! What each observer and each organisation has stored, so that none takes more than its
//! share of the photo store.
//!
//! Every stored photo `SHA256.EXT` has an owner file `SHA256.owner.json` beside it (written
//! first), naming the observer whose protocol vouched for it and the organisation that
//! accredited them; a restarted server counts the store again from these files. Uploads in
//! flight hold a reservation, so that many slow uploads of one observer cannot together pass
//! its share either.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ImageType, photo_name};

/// Who a photo is counted against: the observer key that signed the protocol naming it, and
/// the organisation key that accredited that observer (both hex).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owner {
    /// The observer's public key.
    pub observer: String,
    /// The accrediting organisation's public key.
    pub organisation: String,
}

/// The shares of the store: the whole, each observer's, and each organisation's (only when
/// the server trusts a list of organisations; open accreditations make organisations free).
#[derive(Clone, Copy, Debug)]
pub struct Shares {
    /// All photos together.
    pub total: u64,
    /// One observer key.
    pub observer: u64,
    /// One trusted organisation's observers together, with how many organisations share.
    pub organisation: Option<(u64, usize)>,
}

/// The bytes stored and reserved, in all and by owner.
#[derive(Debug, Default)]
pub struct Usage {
    total: u64,
    by_observer: HashMap<String, u64>,
    by_organisation: HashMap<String, u64>,
}

/// The name of the owner file of the photo named `sha256`.
pub fn owner_file(sha256: &str) -> String {
    format!("{sha256}.owner.json")
}

/// The directory uploads are streamed into before they are moved into place.
pub const INCOMING_DIR: &str = ".incoming";

impl Usage {
    /// Counts the photos in `dir` (made if missing) by their owner files; a photo without one
    /// (stored before owners were kept) counts in the total only. Removes what uploads cut
    /// short by a crash left in [`INCOMING_DIR`].
    pub fn count(dir: &Path) -> io::Result<Usage> {
        let incoming = dir.join(INCOMING_DIR);
        if incoming.exists() {
            std::fs::remove_dir_all(&incoming)?;
        }
        std::fs::create_dir_all(&incoming)?;
        let mut usage = Usage::default();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(sha256) = photo_name(&name.to_string_lossy()).map(str::to_owned) else {
                continue;
            };
            let bytes = entry.metadata()?.len();
            let owner = std::fs::read(dir.join(owner_file(&sha256)))
                .ok()
                .and_then(|b| serde_json::from_slice::<Owner>(&b).ok());
            match owner {
                Some(owner) => usage.add(&owner, bytes),
                None => usage.total += bytes,
            }
        }
        Ok(usage)
    }

    /// Whether `bytes` more of `owner` fit under `shares`; if not, why, naming the share that
    /// is too small.
    pub fn admit(&self, owner: &Owner, shares: &Shares, bytes: u64) -> Result<(), String> {
        match self.room(owner, shares) {
            (room, _) if room >= bytes => Ok(()),
            (0, bound) => Err(format!("{bound} is used up")),
            (_, bound) => Err(format!(
                "the photo's {bytes} bytes do not fit in what is left of {bound}"
            )),
        }
    }

    /// The bytes `owner` may still store under `shares`, and the share that bounds them.
    pub fn room(&self, owner: &Owner, shares: &Shares) -> (u64, String) {
        let observer = self.by_observer.get(&owner.observer).copied().unwrap_or(0);
        let organisation = self
            .by_organisation
            .get(&owner.organisation)
            .copied()
            .unwrap_or(0);
        let mut bounds = vec![
            (
                shares.total.saturating_sub(self.total),
                format!(
                    "the server's photo store ({} of its {} bytes are taken)",
                    self.total, shares.total
                ),
            ),
            (
                shares.observer.saturating_sub(observer),
                format!(
                    "the photo quota of observer {} ({observer} of the {} bytes each observer \
                     key may store)",
                    owner.observer, shares.observer
                ),
            ),
        ];
        if let Some((share, among)) = shares.organisation {
            bounds.push((
                share.saturating_sub(organisation),
                format!(
                    "the share of organisation {}'s observers ({organisation} of {share} bytes: \
                     the store divided among the {among} trusted organisations)",
                    owner.organisation
                ),
            ));
        }
        bounds
            .into_iter()
            .min_by_key(|(room, _)| *room)
            .unwrap_or_default()
    }

    /// Counts `bytes` more against `owner`.
    pub fn add(&mut self, owner: &Owner, bytes: u64) {
        self.total += bytes;
        *self.by_observer.entry(owner.observer.clone()).or_default() += bytes;
        *self
            .by_organisation
            .entry(owner.organisation.clone())
            .or_default() += bytes;
    }

    /// Counts `bytes` less against `owner` (a reservation given back).
    pub fn remove(&mut self, owner: &Owner, bytes: u64) {
        self.total = self.total.saturating_sub(bytes);
        for (map, key) in [
            (&mut self.by_observer, &owner.observer),
            (&mut self.by_organisation, &owner.organisation),
        ] {
            if let Some(used) = map.get_mut(key) {
                *used = used.saturating_sub(bytes);
                if *used == 0 {
                    map.remove(key);
                }
            }
        }
    }
}

/// The file name a photo of `kind` named `sha256` is stored under.
pub fn stored_name(sha256: &str, kind: ImageType) -> String {
    format!("{sha256}.{}", kind.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(observer: &str, organisation: &str) -> Owner {
        Owner {
            observer: observer.into(),
            organisation: organisation.into(),
        }
    }

    #[test]
    fn the_least_share_left_bounds_an_owner_and_names_itself() {
        let shares = Shares {
            total: 100,
            observer: 30,
            organisation: Some((50, 2)),
        };
        let mut usage = Usage::default();
        let (a, b, c) = (owner("a", "x"), owner("b", "x"), owner("c", "y"));
        assert_eq!(usage.admit(&a, &shares, 30), Ok(()));
        let over = usage.admit(&a, &shares, 31).unwrap_err();
        assert!(
            over.contains("31 bytes do not fit") && over.contains("observer a"),
            "{over}"
        );
        usage.add(&a, 30);
        let used = usage.admit(&a, &shares, 1).unwrap_err();
        assert!(
            used.contains("observer a") && used.ends_with("used up"),
            "{used}"
        );
        usage.add(&b, 20);
        let share = usage.admit(&b, &shares, 1).unwrap_err();
        assert!(share.contains("organisation x"), "{share}");
        assert_eq!(usage.admit(&c, &shares, 30), Ok(()));
        usage.remove(&a, 30);
        assert_eq!(usage.admit(&a, &shares, 30), Ok(()));
        let mut full = Usage::default();
        full.add(&owner("d", "z"), 100);
        let full = full.admit(&a, &shares, 1).unwrap_err();
        assert!(full.contains("photo store"), "{full}");
    }
}
