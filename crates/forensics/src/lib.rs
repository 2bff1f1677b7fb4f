//! fairtally forensics.
