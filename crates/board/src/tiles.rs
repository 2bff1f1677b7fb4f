//! Tile geometry shared by the SQLite hash store and the static files (C2SP tlog-tiles).
//!
//! Tiles have height 8: a tile at *tile level* `t` with index `n` covers the 256 nodes of tree
//! level `8t` with indexes `256n .. 256n + 255`, and (in the SQLite store, not in the static
//! files) the 254 nodes above them inside the tile, so that any node is one tile read away.

/// Tile height: tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;

/// Nodes in the bottom row of a full tile.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;

/// Hashes stored in one SQLite tile: rows of 256, 128, ..., 2 nodes.
pub(crate) const TILE_HASHES: usize = 2 * TILE_WIDTH as usize - 2;

/// Where a node lives: tile level, tile index, and the hash's slot inside the stored tile.
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
        let row = level % TILE_HEIGHT;
        let per_tile = TILE_WIDTH >> row;
        let row_start = 2 * TILE_WIDTH as usize - ((2 * TILE_WIDTH as usize) >> row);
        Self {
            tile_level: level / TILE_HEIGHT,
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
        let mut seen = vec![false; TILE_HASHES];
        for row in 0..8u8 {
            for i in 0..(TILE_WIDTH >> row) {
                let slot = NodeSlot::of(8 + row, 3 * (TILE_WIDTH >> row) + i);
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
