//! All tests, on the whole election and on each region, gathered into one summary.

use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use crate::digits::{DIGIT_REPS, DigitTest, OptionDigitTests, digit_tests_by_region};
use crate::fraud_model::{FitSettings, FraudModelFit, fit_fraud_model};
use crate::histograms::{Histograms, histograms, integer_peak_ratio};
use crate::integer_percentage::{IntegerPercentageTest, integer_percentage_by_region};
use crate::shpilkin::{ShpilkinEstimate, shpilkin_estimate};
use crate::{Election, Fingerprint, ForensicsError, fingerprint};

/// Settings of an analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// Monte Carlo repetitions of the integer-percentage test.
    pub reps: usize,
    /// Simulated redraws of the digit tests.
    pub digit_reps: usize,
    /// Seed of every random draw (Monte Carlo and bootstrap).
    pub seed: u64,
    /// Bootstrap replicates of the fraud-model fit and of Shpilkin's estimate.
    pub bootstrap: usize,
    /// Whether to run every test on every region as well.
    pub regions: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            reps: 1000,
            digit_reps: DIGIT_REPS,
            seed: 42,
            bootstrap: 200,
            regions: true,
        }
    }
}

/// A test's result, or why it could not be run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "status")]
pub enum Outcome<T> {
    /// The test ran.
    #[serde(rename = "ok")]
    Done(T),
    /// The data cannot support the test.
    #[serde(rename = "insufficient data")]
    InsufficientData {
        /// Which condition was not met.
        reason: String,
    },
}

impl<T> Outcome<T> {
    fn from_option(value: Option<T>, reason: impl FnOnce() -> String) -> Outcome<T> {
        match value {
            Some(value) => Outcome::Done(value),
            None => Outcome::InsufficientData { reason: reason() },
        }
    }

    /// The result, if the test ran.
    pub fn done(&self) -> Option<&T> {
        match self {
            Outcome::Done(value) => Some(value),
            Outcome::InsufficientData { .. } => None,
        }
    }
}

/// How much whole percentages stand out in the 0.1-point histograms.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntegerPeaks {
    /// Stations per whole-percentage bin of turnout over the average of the other bins.
    pub turnout_peak_ratio: Option<f64>,
    /// The same for the leader's share.
    pub share_peak_ratio: Option<f64>,
}

/// The digit tests of every option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigitTests {
    /// Second-digit Benford, per option ("insufficient data" where too few counts reach 10).
    pub second_digit: Vec<Outcome<DigitTest>>,
    /// Last-digit uniformity, per option ("insufficient data" where too few counts reach 100).
    pub last_digit: Vec<Outcome<DigitTest>>,
}

/// Every test on one set of stations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResults {
    /// Seconds each test took, in the order run (not in the JSON, which stays reproducible).
    #[serde(skip)]
    pub seconds: Vec<(&'static str, f64)>,
    /// Stations.
    pub stations: usize,
    /// Voters on the register.
    pub registered: u64,
    /// Ballots counted.
    pub counted: u64,
    /// The leader's votes.
    pub leader_votes: u64,
    /// (a) Integer peaks in the 0.1-point histograms (the histograms themselves are national only).
    pub histograms: IntegerPeaks,
    /// (b) The integer-percentage test.
    pub integer_percentage: Outcome<IntegerPercentageTest>,
    /// (c) The fingerprint's corner counts.
    pub fingerprint: Fingerprint,
    /// (c) The fraud model of Klimek et al.
    pub klimek_fraud_model: Outcome<FraudModelFit>,
    /// (d) Shpilkin's estimate of anomalous votes.
    pub shpilkin: Outcome<ShpilkinEstimate>,
    /// (e) Digit tests.
    pub digits: DigitTests,
}

/// One region's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RegionResults {
    /// The region's name.
    pub region: String,
    /// Its tests.
    #[serde(flatten)]
    pub tests: TestResults,
}

/// The whole analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The leader examined.
    pub leader: String,
    /// The other options.
    pub other_options: Vec<String>,
    /// Settings used.
    pub settings: Settings,
    /// The 0.1-point histograms of the whole election.
    pub histograms: Histograms,
    /// Every test on the whole election.
    pub national: TestResults,
    /// Every test on every region (empty unless asked for).
    pub regions: Vec<RegionResults>,
}

/// The tests that [`analyse`] runs for the whole election and all regions at once, for one of
/// them, with the seconds they took (0 for a region: its time is counted in the whole's).
struct Precomputed {
    integer: Option<IntegerPercentageTest>,
    digits: Vec<OptionDigitTests>,
    seconds: [(&'static str, f64); 2],
}

/// Every test but those [`Precomputed`].
fn run_tests(
    election: &Election,
    settings: &Settings,
    fit: &FitSettings,
    precomputed: Precomputed,
) -> Result<TestResults, ForensicsError> {
    let mut seconds = precomputed.seconds.to_vec();
    let integer = precomputed.integer;
    let mut clock = Instant::now();
    let mut lap = |name: &'static str| {
        seconds.push((name, clock.elapsed().as_secs_f64()));
        clock = Instant::now();
    };
    let h = histograms(election);
    let peaks = IntegerPeaks {
        turnout_peak_ratio: integer_peak_ratio(&h.turnout.stations),
        share_peak_ratio: integer_peak_ratio(&h.leader_share.stations),
    };
    lap("histograms");
    let integer_percentage = Outcome::from_option(integer, || {
        format!(
            "fewer than {} stations pass the inclusion rule",
            crate::integer_percentage::MIN_KEPT
        )
    });
    let fingerprint = fingerprint(election);
    let klimek_fraud_model = Outcome::from_option(fit_fraud_model(election, fit), || {
        format!(
            "fewer than {} stations with voters, or no clear peak of turnout and share",
            crate::fraud_model::MIN_STATIONS
        )
    });
    lap("fingerprint_and_klimek_fraud_model");
    let shpilkin = Outcome::from_option(
        shpilkin_estimate(election, settings.bootstrap, settings.seed),
        || {
            format!(
                "fewer than {} stations, or fewer than {} on either side of the turnout peak",
                crate::shpilkin::MIN_STATIONS,
                crate::shpilkin::MIN_SIDE
            )
        },
    );
    lap("shpilkin");
    let mut second_digit = Vec::new();
    let mut last_digit = Vec::new();
    for (option, second, last) in precomputed.digits {
        second_digit.push(Outcome::from_option(second, || {
            format!(
                "{option}: fewer than {} counts of 10 or more",
                crate::digits::MIN_COUNTS
            )
        }));
        last_digit.push(Outcome::from_option(last, || {
            format!(
                "{option}: fewer than {} counts of 100 or more",
                crate::digits::MIN_COUNTS
            )
        }));
    }
    Ok(TestResults {
        seconds,
        stations: election.stations.len(),
        registered: election.registered(),
        counted: election.counted(),
        leader_votes: election.leader_votes(),
        histograms: peaks,
        integer_percentage,
        fingerprint,
        klimek_fraud_model,
        shpilkin,
        digits: DigitTests {
            second_digit,
            last_digit,
        },
    })
}

/// Runs every test on the whole election and, if `settings.regions`, on each region. Regions
/// reuse the national fit's `alpha` and `theta` (see [`FitSettings::at`]).
pub fn analyse(election: &Election, settings: &Settings) -> Result<Analysis, ForensicsError> {
    election.validate()?;
    // `reps` is checked by the integer-percentage test itself.
    if settings.bootstrap < 10 {
        return Err(ForensicsError::InvalidParameter {
            name: "bootstrap",
            reason: format!(
                "{} bootstrap replicates; at least 10 are needed",
                settings.bootstrap
            ),
        });
    }
    let started = Instant::now();
    let (national_integer, regional_integer) =
        integer_percentage_by_region(election, settings.reps, settings.seed)?;
    let integer_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let (national_digits, regional_digits) =
        digit_tests_by_region(election, settings.digit_reps, settings.seed)?;
    let digit_seconds = started.elapsed().as_secs_f64();
    let national = run_tests(
        election,
        settings,
        &FitSettings::full(settings.bootstrap, settings.seed),
        Precomputed {
            integer: national_integer,
            digits: national_digits,
            seconds: [
                ("integer_percentage", integer_seconds),
                ("digits", digit_seconds),
            ],
        },
    )?;
    let (alpha, theta) = national
        .klimek_fraud_model
        .done()
        .map_or((1.0, 0.1), |fit| (fit.alpha, fit.theta));
    let regions = if settings.regions {
        let mut by_region: Vec<(Vec<crate::Station>, Precomputed)> = regional_integer
            .into_iter()
            .zip(regional_digits)
            .map(|(integer, digits)| {
                let seconds = [("integer_percentage", 0.0), ("digits", 0.0)];
                (
                    Vec::new(),
                    Precomputed {
                        integer,
                        digits,
                        seconds,
                    },
                )
            })
            .collect();
        for station in &election.stations {
            by_region[station.region as usize].0.push(station.clone());
        }
        let fit = FitSettings::at(alpha, theta, settings.bootstrap, settings.seed);
        by_region
            .into_par_iter()
            .enumerate()
            .filter(|(_, (stations, _))| !stations.is_empty())
            .map(|(index, (stations, precomputed))| {
                let region = Election {
                    regions: election.regions.clone(),
                    leader: election.leader.clone(),
                    other_options: election.other_options.clone(),
                    stations,
                };
                Ok(RegionResults {
                    region: election.regions[index].clone(),
                    tests: run_tests(&region, settings, &fit, precomputed)?,
                })
            })
            .collect::<Result<Vec<_>, ForensicsError>>()?
    } else {
        Vec::new()
    };
    Ok(Analysis {
        leader: election.leader.clone(),
        other_options: election.other_options.clone(),
        settings: settings.clone(),
        histograms: histograms(election),
        national,
        regions,
    })
}
