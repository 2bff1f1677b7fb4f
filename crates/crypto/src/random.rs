//! Randomness from the operating system.

use rand::rngs::SysRng;
use rand_core::UnwrapErr;

use crate::Scalar;

/// The operating system's random number generator. It aborts the operation (panics) only if
/// the OS cannot provide randomness at all, in which case nothing secret can be made safely.
pub(crate) fn os_rng() -> UnwrapErr<SysRng> {
    UnwrapErr(SysRng)
}

/// A uniformly random scalar from the OS.
pub fn random_scalar() -> Scalar {
    Scalar::random(&mut os_rng())
}

/// `N` random bytes from the OS.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    use rand_core::Rng as _;
    let mut bytes = [0u8; N];
    os_rng().fill_bytes(&mut bytes);
    bytes
}
