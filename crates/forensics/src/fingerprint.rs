//! The election fingerprint of Klimek, Yegorov, Hanel & Thurner (PNAS 109(41), 2012): the 2D
//! histogram of stations by turnout and the leader's share. A clean election shows one compact
//! cloud; ballot stuffing smears it towards the top right corner (100 % turnout, 100 % for the
//! leader), and extreme fraud piles stations into that corner.

use serde::Serialize;

use crate::Election;

/// Bins per axis: one per percentage point.
pub const FINGERPRINT_BINS: usize = 100;

/// The cell of a (turnout, share) pair, both fractions: row = turnout, column = share. Values at
/// or above 100 % fall in the last bin.
pub(crate) fn cell(turnout: f64, share: f64) -> usize {
    let bin = |x: f64| {
        // `as usize` truncates, which is the floor for the non-negative values kept by `max`,
        // and avoids a call to libm's floor in the hottest loop of the fraud-model fit.
        ((x * FINGERPRINT_BINS as f64).max(0.0) as usize).min(FINGERPRINT_BINS - 1)
    };
    bin(turnout) * FINGERPRINT_BINS + bin(share)
}

/// Stations per cell of the turnout × leader's share grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fingerprint {
    /// Stations counted (registered and counted both above zero).
    pub stations: usize,
    /// `counts[t * 100 + s]`: stations with turnout in `[t, t+1)` % and share in `[s, s+1)` %.
    #[serde(skip)]
    pub counts: Vec<f64>,
    /// Stations with turnout >= 80 % and the leader's share >= 80 %.
    pub top_right_stations: usize,
    /// Stations with turnout >= 99 % and the leader's share >= 99 % (Klimek's extreme corner).
    pub corner_stations: usize,
}

/// Turnout here is ballots counted / registered, so that turnout and share rest on the same
/// ballots, as in Klimek et al.
pub(crate) fn station_point(registered: u64, counted: u64, leader: u64) -> (f64, f64) {
    (
        counted as f64 / registered as f64,
        leader as f64 / counted as f64,
    )
}

/// Builds the fingerprint.
pub fn fingerprint(election: &Election) -> Fingerprint {
    let mut counts = vec![0.0; FINGERPRINT_BINS * FINGERPRINT_BINS];
    let (mut stations, mut top_right, mut corner) = (0, 0, 0);
    for s in election
        .stations
        .iter()
        .filter(|s| s.registered > 0 && s.counted > 0)
    {
        let (turnout, share) = station_point(s.registered, s.counted, s.leader);
        counts[cell(turnout, share)] += 1.0;
        stations += 1;
        top_right += usize::from(turnout >= 0.8 && share >= 0.8);
        corner += usize::from(turnout >= 0.99 && share >= 0.99);
    }
    Fingerprint {
        stations,
        counts,
        top_right_stations: top_right,
        corner_stations: corner,
    }
}
