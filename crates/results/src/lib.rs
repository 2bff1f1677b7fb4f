//! fairtally results.
