//! Tile geometry of the static files (C2SP tlog-tiles) and of the SQLite hash store.
//!
//! Public tiles have height 8: a tile at *tile level* `t` with index `n` holds the 256 nodes of
//! tree level `8t` with indexes `256n .. 256n + 255`.
//!
//! The SQLite store keeps smaller tiles of height 4 that also hold their interior nodes: the
//! 16 bottom nodes and the 14 above them (960 bytes, one database page), so that any node is
//! one small read away and an inclusion proof in a tree of ten million leaves needs six.

/// Tile height: tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;

/// Nodes in the bottom row of a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// Height of a tile in the SQLite store.
pub(crate) const STORED_TILE_HEIGHT: u8 = 4;

/// Nodes in the bottom row of a stored tile.
const STORED_TILE_WIDTH: u64 = 1 << STORED_TILE_HEIGHT;

/// Hashes in one stored tile: rows of 16, 8, 4 and 2 nodes.
pub(crate) const STORED_TILE_HASHES: usize = 2 * STORED_TILE_WIDTH as usize - 2;

/// Where a node lives in the SQLite store: tile level, tile index, and the hash's slot inside
/// the stored tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NodeSlot {
    pub tile_level: u8,
    pub tile_index: u64,
    /// Slot in the SQLite tile (rows stored bottom-up).
    pub slot: usize,
    /// Row inside the tile (0 = bottom row).
    pub row: u8,
}

impl NodeSlot {
    pub fn of(level: u8, index: u64) -> Self {
        let row = level % STORED_TILE_HEIGHT;
        let per_tile = STORED_TILE_WIDTH >> row;
        let width = 2 * STORED_TILE_WIDTH as usize;
        let row_start = width - (width >> row);
        Self {
            tile_level: level / STORED_TILE_HEIGHT,
            tile_index: index / per_tile,
            slot: row_start + (index % per_tile) as usize,
            row,
        }
    }
}

/// Number of nodes at tree level `8 * tile_level` in a tree of `size` leaves.
pub(crate) fn nodes_at_tile_level(size: u64, tile_level: u8) -> u64 {
    size.checked_shr(u32::from(tile_level) * u32::from(TILE_HEIGHT))
        .unwrap_or(0)
}

/// The C2SP tlog-tiles encoding of a tile index: groups of three digits, all but the last
/// prefixed with `x` (`1234067` is `x001/x234/067`).
pub fn index_path(index: u64) -> String {
    let digits = format!("{index:03}");
    let padded = format!("{}{digits}", "0".repeat((3 - digits.len() % 3) % 3));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    let last = groups.len() - 1;
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            if i < last {
                format!("x{g}")
            } else {
                (*g).to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Relative path of a tile (`tile/<level>/<index>[.p/<width>]`) or, with `level` `None`, of an
/// entry bundle (`tile/entries/<index>[.p/<width>]`).
pub fn tile_path(level: Option<u8>, index: u64, width: u64) -> String {
    let level = level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
    let mut path = format!("tile/{level}/{}", index_path(index));
    if width < TILE_WIDTH {
        path.push_str(&format!(".p/{width}"));
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_follow_tlog_tiles() {
        assert_eq!(index_path(0), "000");
        assert_eq!(index_path(67), "067");
        assert_eq!(index_path(1234067), "x001/x234/067");
        assert_eq!(index_path(1000), "x001/000");
        assert_eq!(tile_path(Some(1), 1234067, 256), "tile/1/x001/x234/067");
        assert_eq!(tile_path(None, 5, 17), "tile/entries/005.p/17");
    }

    #[test]
    fn slots_cover_the_tile_without_overlap() {
        let mut seen = [false; STORED_TILE_HASHES];
        for row in 0..STORED_TILE_HEIGHT {
            for i in 0..(STORED_TILE_WIDTH >> row) {
                let slot =
                    NodeSlot::of(STORED_TILE_HEIGHT + row, 3 * (STORED_TILE_WIDTH >> row) + i);
                assert_eq!((slot.tile_level, slot.tile_index, slot.row), (1, 3, row));
                assert!(!seen[slot.slot]);
                seen[slot.slot] = true;
            }
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(nodes_at_tile_level(1 << 20, 2), 16);
        assert_eq!(nodes_at_tile_level(5, 9), 0);
    }
}
