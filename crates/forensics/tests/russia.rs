//! The Russian federal elections of 2011 and 2012, read through the shared importer and the
//! Russian column mappings: totals as published, integer-percentage excess as published by
//! Kobak, Shpilkin & Pshenichnikov, Klimek et al.'s fraud-model fits and Shpilkin's estimates.

use std::path::Path;

use fairtally_forensics::{
    DIGIT_REPS, Election, FitSettings, Loss, digit_tests, fit_fraud_model, fit_share_histogram,
    from_results, integer_percentage_test, shpilkin_estimate,
};
use fairtally_results::{Mapping, import};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/russia");
const MAPPINGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../mappings");

fn load(year: u32) -> Result<Election, Box<dyn std::error::Error>> {
    let mapping = Mapping::from_file(Path::new(&format!("{MAPPINGS}/russia-{year}.toml")))?;
    let (results, _) = import(Path::new(&format!("{DATA}/{year}.csv.zip")), &mapping)?;
    let (election, conversion) = from_results(&results, None)?;
    assert!(conversion.left_out.is_empty(), "{:?}", conversion.left_out);
    Ok(election)
}

/// What was published about one election.
struct Published {
    year: u32,
    stations: usize,
    registered: u64,
    leader_votes: u64,
    /// The leader's share of ballots counted.
    share: f64,
    /// Kobak, Shpilkin & Pshenichnikov's integer excess.
    excess: f64,
}

const PUBLISHED: [Published; 2] = [
    Published {
        year: 2011,
        stations: 95_225,
        registered: 109_229_337,
        leader_votes: 32_371_737,
        share: 0.4931,
        excess: 1003.5,
    },
    Published {
        year: 2012,
        stations: 95_415,
        registered: 109_860_331,
        leader_votes: 45_602_075,
        share: 0.6360,
        excess: 1159.6,
    },
];

#[test]
fn russia_2011_and_2012_reproduce_the_published_figures() -> Result<(), Box<dyn std::error::Error>>
{
    for Published {
        year,
        stations,
        registered,
        leader_votes,
        share,
        excess,
    } in PUBLISHED
    {
        let election = load(year)?;
        // Totals of the README.
        assert_eq!(election.stations.len(), stations, "{year}");
        assert_eq!(election.registered(), registered, "{year}");
        assert_eq!(election.leader_votes(), leader_votes, "{year}");
        let reported_share = election.leader_votes() as f64 / election.counted() as f64;
        assert!(
            (reported_share - share).abs() < 5e-5,
            "{year}: {reported_share}"
        );

        // The integer-percentage excess, within 3 % of the published value.
        let test = integer_percentage_test(&election, 1000, 42)?.ok_or("insufficient data")?;
        eprintln!(
            "{year}: integer {} observed, {} ± {} simulated, exact expectation {}, excess {}",
            test.observed_integer,
            test.simulated_mean,
            test.simulated_sd,
            test.expected_exact,
            test.excess
        );
        assert!(
            (test.excess - excess).abs() <= 0.03 * excess,
            "{year}: excess {} against the published {excess}",
            test.excess
        );
        assert!(
            test.observed_integer as f64 > test.simulated_p99_9,
            "{year}"
        );

        // The 2D fraud model: both fractions found above zero (Klimek et al.'s own method is
        // checked against their figures below).
        let fit =
            fit_fraud_model(&election, &FitSettings::full(100, 42)).ok_or("insufficient data")?;
        eprintln!(
            "{year}: 2D fit fi {:.3} ({:.3}–{:.3}), fe {:.4} ({:.4}–{:.4})",
            fit.fi,
            fit.fi_interval.low,
            fit.fi_interval.high,
            fit.fe,
            fit.fe_interval.low,
            fit.fe_interval.high
        );
        assert!(
            fit.fi_interval.low > 0.0 && fit.fe_interval.low > 0.0,
            "{year}"
        );

        // Shpilkin: millions of anomalous votes, interval above zero.
        let estimate = shpilkin_estimate(&election, 100, 42).ok_or("insufficient data")?;
        eprintln!(
            "{year}: Shpilkin {:.0} anomalous votes ({:.0}–{:.0})",
            estimate.anomalous_votes,
            estimate.anomalous_votes_interval.low,
            estimate.anomalous_votes_interval.high
        );
        assert!(estimate.alarm && estimate.anomalous_votes > 1e6, "{year}");
    }
    Ok(())
}

/// Klimek et al.'s own fits (PNAS 2012): fi, fe, alpha and theta. Ours must give fi within
/// ±0.1, fe within a factor of 2, and theta (computed from the data, not fitted) within 0.01.
const KLIMEK: [(u32, f64, f64, f64, f64); 2] = [
    (2011, 0.64, 0.033, 2.3, 0.56),
    (2012, 0.39, 0.021, 1.5, 0.42),
];

#[test]
fn the_published_fraud_model_reproduces_klimek_et_al() -> Result<(), Box<dyn std::error::Error>> {
    let mut failures = Vec::new();
    for (year, fi, fe, alpha, theta) in KLIMEK {
        let election = load(year)?;
        let fits = fit_share_histogram(&election);
        for fit in &fits {
            eprintln!(
                "{year} {:?}: fi {:.3}, fe {:.4}, alpha {}, theta {:.3}, clean {:?} (Klimek: fi {fi}, fe {fe}, alpha {alpha}, theta {theta})",
                fit.loss, fit.fi, fit.fe, fit.alpha, fit.theta, fit.clean
            );
        }
        let published = fits
            .iter()
            .find(|f| f.loss == Loss::RelativeError)
            .ok_or("insufficient data")?;
        if (published.fi - fi).abs() > 0.1 {
            failures.push(format!("{year}: fi {:.3} against {fi}", published.fi));
        }
        if published.fe < fe / 2.0 || published.fe > fe * 2.0 {
            failures.push(format!("{year}: fe {:.4} against {fe}", published.fe));
        }
        if (published.theta - theta).abs() > 0.01 {
            failures.push(format!(
                "{year}: theta {:.3} against {theta}",
                published.theta
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
    Ok(())
}

/// The calibrated digit tests on the real counts: how many alarms, for the record.
#[test]
fn digit_tests_on_the_real_counts() -> Result<(), Box<dyn std::error::Error>> {
    for year in [2011, 2012] {
        let election = load(year)?;
        for (option, second, last) in digit_tests(&election, DIGIT_REPS, 42)? {
            for test in [second, last].into_iter().flatten() {
                eprintln!(
                    "{year} {option} {:?}: p = {:.3}, w = {:.3}, mean {:.3} (null {:.3})",
                    test.kind,
                    test.p_value,
                    test.effect_size,
                    test.mean_digit,
                    test.expected_mean_digit
                );
            }
        }
    }
    Ok(())
}

/// Shpilkin's own estimates of anomalous votes for the leader: 2016 about 12 million for
/// United Russia, 2018 9.947 million for Putin. Ours must lie within 15 %.
#[test]
fn shpilkin_matches_his_published_figures() -> Result<(), Box<dyn std::error::Error>> {
    for (year, published) in [(2016, 12.0e6), (2018, 9.947e6)] {
        let election = load(year)?;
        let estimate = shpilkin_estimate(&election, 100, 42).ok_or("insufficient data")?;
        eprintln!(
            "{year}: Shpilkin {:.0} anomalous votes against his {published:.0}",
            estimate.anomalous_votes
        );
        assert!(
            (estimate.anomalous_votes / published - 1.0).abs() <= 0.15,
            "{year}: {:.0} against {published:.0}",
            estimate.anomalous_votes
        );
    }
    Ok(())
}
