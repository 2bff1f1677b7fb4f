//! fairtally observe.
