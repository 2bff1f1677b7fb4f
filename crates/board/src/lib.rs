//! fairtally board.
