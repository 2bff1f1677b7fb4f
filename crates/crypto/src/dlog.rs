//! Discrete logarithms of small tally totals by baby-step giant-step.

use std::collections::HashMap;

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::traits::Identity;

use crate::{RistrettoPoint, Scalar};

/// A table for solving g^m = P with 0 <= m <= max in about 2·√max group operations.
///
/// Baby steps g^j for 0 <= j < s (s = ⌈√(max+1)⌉) are indexed by their encoding; the solver
/// then walks giant steps P·g^{-s·i} until it meets one.
pub struct DiscreteLog {
    baby_steps: HashMap<[u8; 32], u64>,
    step: u64,
    giant: RistrettoPoint,
    max: u64,
}

impl DiscreteLog {
    /// Builds the table for exponents up to `max`.
    pub fn new(max: u64) -> Self {
        let step = ((max as f64 + 1.0).sqrt().ceil() as u64).max(1);
        let mut baby_steps = HashMap::with_capacity(step as usize);
        let mut point = RistrettoPoint::identity();
        for j in 0..step {
            baby_steps.insert(point.compress().to_bytes(), j);
            point += RISTRETTO_BASEPOINT_POINT;
        }
        DiscreteLog {
            baby_steps,
            step,
            giant: -(RISTRETTO_BASEPOINT_POINT * Scalar::from(step)),
            max,
        }
    }

    /// The m with g^m = `point` and 0 <= m <= max, if there is one.
    pub fn solve(&self, point: &RistrettoPoint) -> Option<u64> {
        let mut current = *point;
        for i in 0..=self.max / self.step {
            if let Some(j) = self.baby_steps.get(&current.compress().to_bytes()) {
                let m = i * self.step + j;
                return (m <= self.max).then_some(m);
            }
            current += self.giant;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_every_small_value_and_nothing_beyond() {
        let table = DiscreteLog::new(1000);
        for m in [0u64, 1, 2, 31, 32, 33, 999, 1000] {
            assert_eq!(
                table.solve(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(m))),
                Some(m)
            );
        }
        assert_eq!(
            table.solve(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(1001u64))),
            None
        );
        assert_eq!(
            table.solve(&(RISTRETTO_BASEPOINT_POINT * Scalar::from(5_000_000u64))),
            None
        );
    }
}
