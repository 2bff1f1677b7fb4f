//! The Russian federal elections of 2011 and 2012, read through the shared importer and the
//! Russian column mappings: totals as published, integer-percentage excess as published by
//! Kobak, Shpilkin & Pshenichnikov, and the fraud-model fit beside Mebane & Kalinin's.

use std::path::Path;

use fairtally_forensics::{
    Election, FitSettings, fit_fraud_model, from_results, integer_percentage_test,
    shpilkin_estimate,
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
    /// Mebane & Kalinin's fit of the fraud model.
    fi: f64,
    fe: f64,
}

const PUBLISHED: [Published; 2] = [
    Published {
        year: 2011,
        stations: 95_225,
        registered: 109_229_337,
        leader_votes: 32_371_737,
        share: 0.4931,
        excess: 1003.5,
        fi: 0.121,
        fe: 0.0032,
    },
    Published {
        year: 2012,
        stations: 95_415,
        registered: 109_860_331,
        leader_votes: 45_602_075,
        share: 0.6360,
        excess: 1159.6,
        fi: 0.084,
        fe: 0.0020,
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
        fi,
        fe,
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
        assert!(
            (test.excess - excess).abs() <= 0.03 * excess,
            "{year}: excess {} against the published {excess}",
            test.excess
        );
        assert!(
            test.observed_integer as f64 > test.simulated_p99_9,
            "{year}"
        );

        // The fraud model: reported beside Mebane & Kalinin's fit; not a target (see
        // docs/FORENSICS.md), but both fractions must be found above zero.
        let fit =
            fit_fraud_model(&election, &FitSettings::full(100, 42)).ok_or("insufficient data")?;
        eprintln!(
            "{year}: fi {:.3} ({:.3}–{:.3}) against Mebane & Kalinin's {fi}; fe {:.4} ({:.4}–{:.4}) against {fe}",
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
