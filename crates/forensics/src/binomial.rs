//! The terms of a binomial distribution, walked out from its mode: what the tests whose null
//! is "resample every station binomially" sum over.

use statrs::function::gamma::ln_gamma;

/// Calls `term(k, probability)` for every outcome `k` of Binomial(`n`, `p`) whose probability
/// is at least 1e-14 of the mode's (beyond 7.9 standard deviations the rest changes any sum by
/// less than 1e-12). Returns the sum of the probabilities visited, for normalising.
pub(crate) fn for_each_term(n: u64, p: f64, mut term: impl FnMut(u64, f64)) -> f64 {
    if n == 0 || p <= 0.0 {
        term(0, 1.0);
        return 1.0;
    }
    if p >= 1.0 {
        term(n, 1.0);
        return 1.0;
    }
    let nf = n as f64;
    let mode = (((n + 1) as f64) * p).floor().min(nf) as u64;
    let mf = mode as f64;
    let ln_mode = ln_gamma(nf + 1.0) - ln_gamma(mf + 1.0) - ln_gamma(nf - mf + 1.0)
        + mf * p.ln()
        + (nf - mf) * (-p).ln_1p();
    let pmf_mode = ln_mode.exp();
    let ratio = p / (1.0 - p);
    let cutoff = pmf_mode * 1e-14;
    term(mode, pmf_mode);
    let mut total = pmf_mode;
    let (mut pmf, mut k) = (pmf_mode, mode);
    while k < n {
        pmf *= (nf - k as f64) / (k as f64 + 1.0) * ratio;
        k += 1;
        if pmf < cutoff {
            break;
        }
        term(k, pmf);
        total += pmf;
    }
    let (mut pmf, mut k) = (pmf_mode, mode);
    while k > 0 {
        pmf *= k as f64 / (nf - k as f64 + 1.0) / ratio;
        k -= 1;
        if pmf < cutoff {
            break;
        }
        term(k, pmf);
        total += pmf;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_sum_to_one_and_give_the_mean() {
        for &(n, p) in &[
            (1_u64, 0.3),
            (10, 0.5),
            (700, 0.04),
            (5_000, 0.63),
            (3, 0.999),
        ] {
            let mut mean = 0.0;
            let total = for_each_term(n, p, |k, q| mean += k as f64 * q);
            assert!((total - 1.0).abs() < 1e-9, "n={n} p={p}: {total}");
            assert!((mean - n as f64 * p).abs() < 1e-6 * n as f64, "n={n} p={p}");
        }
        let mut seen = Vec::new();
        assert_eq!(for_each_term(0, 0.5, |k, q| seen.push((k, q))), 1.0);
        assert_eq!(for_each_term(9, 1.0, |k, q| seen.push((k, q))), 1.0);
        assert_eq!(seen, vec![(0, 1.0), (9, 1.0)]);
    }
}
