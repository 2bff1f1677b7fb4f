//! Feldman verifiable secret sharing and Lagrange interpolation.
//!
//! Each guardian i draws a secret polynomial P_i of degree k-1, publishes commitments
//! C_ij = g^{a_ij} to its coefficients, and gives guardian x the share P_i(x). Anyone can check
//! a share against the commitments; any k shares determine the secret, fewer reveal nothing.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_TABLE;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::random::random_scalar;
use crate::{CryptoError, RistrettoPoint, Scalar};

/// A guardian's secret polynomial of degree k-1; its constant term is the guardian's secret.
/// Its coefficients are zeroized when it is dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Polynomial {
    coefficients: Vec<Scalar>,
}

impl Polynomial {
    /// A random polynomial for threshold `threshold` (that many coefficients; at least one).
    pub fn random(threshold: usize) -> Self {
        Polynomial {
            coefficients: (0..threshold.max(1)).map(|_| random_scalar()).collect(),
        }
    }

    /// Rebuilds a polynomial from its coefficients (read from the guardian's own key file).
    pub fn from_coefficients(coefficients: Vec<Scalar>) -> Self {
        Polynomial { coefficients }
    }

    /// P(x), by Horner's rule.
    pub fn evaluate(&self, x: u32) -> Scalar {
        let x = Scalar::from(x);
        self.coefficients
            .iter()
            .rev()
            .fold(Scalar::ZERO, |acc, a| acc * x + a)
    }

    /// The Feldman commitments g^{a_j}, constant term first.
    pub fn commitments(&self) -> Vec<RistrettoPoint> {
        self.coefficients
            .iter()
            .map(|a| RISTRETTO_BASEPOINT_TABLE * a)
            .collect()
    }

    /// The coefficients, constant term first.
    pub fn coefficients(&self) -> &[Scalar] {
        &self.coefficients
    }
}

/// g^{P(x)} computed from the commitments alone: Π C_j^{x^j}.
pub fn evaluate_commitments(commitments: &[RistrettoPoint], x: u32) -> RistrettoPoint {
    let x = Scalar::from(x);
    // The multiscalar multiplication needs iterators of known, equal lengths.
    let powers: Vec<Scalar> = std::iter::successors(Some(Scalar::ONE), |p| Some(p * x))
        .take(commitments.len())
        .collect();
    RistrettoPoint::vartime_multiscalar_mul(powers, commitments)
}

/// Feldman's check that `share` is P(x) for the committed polynomial: g^share = Π C_j^{x^j}.
pub fn verify_share(commitments: &[RistrettoPoint], x: u32, share: &Scalar) -> bool {
    RISTRETTO_BASEPOINT_TABLE * share == evaluate_commitments(commitments, x)
}

/// The Lagrange coefficient at 0 of guardian `x` among the present guardians `xs`:
/// λ_x = Π_{j ∈ xs, j ≠ x} j / (j - x).
pub fn lagrange_at_zero(x: u32, xs: &[u32]) -> Result<Scalar, CryptoError> {
    if x == 0 || xs.contains(&0) {
        return Err(CryptoError::InvalidGuardianSet(
            "guardian sequence numbers start at 1".into(),
        ));
    }
    if !xs.contains(&x) {
        return Err(CryptoError::InvalidGuardianSet(format!(
            "guardian {x} is not among the present guardians {xs:?}"
        )));
    }
    let mut sorted = xs.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(CryptoError::InvalidGuardianSet(format!(
            "a guardian appears twice in {xs:?}"
        )));
    }
    let xi = Scalar::from(x);
    let (numerator, denominator) =
        xs.iter()
            .filter(|&&j| j != x)
            .fold((Scalar::ONE, Scalar::ONE), |(num, den), &j| {
                let j = Scalar::from(j);
                (num * j, den * (j - xi))
            });
    Ok(numerator * denominator.invert())
}

#[cfg(test)]
mod tests {
    use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn any_k_shares_recover_the_secret(k in 1usize..6, extra in 0usize..3, skip in 0usize..8) {
            let n = k + extra;
            let polynomial = Polynomial::random(k);
            let commitments = polynomial.commitments();
            let shares: Vec<(u32, Scalar)> = (1..=n as u32).map(|x| (x, polynomial.evaluate(x))).collect();
            for (x, share) in &shares {
                prop_assert!(verify_share(&commitments, *x, share));
                prop_assert!(!verify_share(&commitments, *x, &(share + Scalar::ONE)));
            }
            // Any k of the n guardians, here starting at an arbitrary one.
            let present: Vec<(u32, Scalar)> = shares.iter().cycle().skip(skip % n).take(k).copied().collect();
            let xs: Vec<u32> = present.iter().map(|(x, _)| *x).collect();
            let mut secret = Scalar::ZERO;
            for (x, share) in &present {
                secret += lagrange_at_zero(*x, &xs)? * share;
            }
            prop_assert_eq!(secret, polynomial.coefficients()[0]);
            prop_assert_eq!(RISTRETTO_BASEPOINT_POINT * secret, commitments[0]);
        }
    }

    #[test]
    fn rejects_bad_guardian_sets() {
        assert!(lagrange_at_zero(0, &[0, 1]).is_err());
        assert!(lagrange_at_zero(3, &[1, 2]).is_err());
        assert!(lagrange_at_zero(1, &[1, 2, 2]).is_err());
    }
}
