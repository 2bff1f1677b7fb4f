//! fairtally crypto.
