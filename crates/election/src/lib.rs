//! fairtally election.
