//! Progress reporting for long phases, so the CLI can draw progress bars while the library
//! stays free of any terminal code.

/// Receives progress of long phases (encrypting ballots, verifying them).
pub trait Progress: Sync {
    /// A phase named `phase` starts, with `total` units of work (ballots or bytes).
    fn begin(&self, phase: &str, total: u64);
    /// `done` more units are finished.
    fn advance(&self, done: u64);
    /// The phase is over.
    fn end(&self);
}

/// Reports nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _phase: &str, _total: u64) {}
    fn advance(&self, _done: u64) {}
    fn end(&self) {}
}
