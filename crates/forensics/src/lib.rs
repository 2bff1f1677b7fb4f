//! Election forensics: statistical fingerprints of falsification in station-level results.
//!
//! Every test takes an [`Election`] (one row per polling station: registered voters, voters who
//! took part, ballots counted, the leader's votes and the other options' votes) and returns its
//! figures, or `None` where the data cannot support it ("insufficient data").
//!
//! - [`histograms`]: turnout and leader's share in 0.1-point bins, by stations and by voters;
//! - [`integer_percentage_test`]: Kobak, Shpilkin & Pshenichnikov's integer-percentage test;
//! - [`fingerprint`] and [`fit_fraud_model`]: Klimek et al.'s 2D fingerprint and fraud model;
//!   [`fit_share_histogram`]: the same model fitted as they published it, and the spread
//!   across variants ([`ModelUncertainty`]);
//! - [`shpilkin_estimate`]: Shpilkin's estimate of anomalous votes;
//! - [`digit_tests`]: second- and last-digit tests against per-station binomial resampling;
//! - [`analyse`]: all of them, nationally and per region; [`write_outputs`]: JSON, figures, HTML.

mod analysis;
mod binomial;
mod bootstrap;
mod digits;
mod election;
mod error;
mod figures;
mod fingerprint;
mod fraud_model;
mod from_results;
mod histograms;
mod integer_percentage;
mod klimek_published;
mod report;
mod shpilkin;
mod simulate;

pub use analysis::{
    Analysis, DigitTests, IntegerPeaks, Outcome, RegionResults, Settings, TestResults, analyse,
};
pub use bootstrap::Interval;
pub use digits::{
    ALARM_LEVEL, DIGIT_REPS, DigitKind, DigitTest, MIN_COUNTS, MIN_LAST_DIGIT_COUNT,
    MIN_SECOND_DIGIT_COUNT, OptionDigitTests, digit_tests, digit_tests_by_region,
    second_digit_probabilities,
};
pub use fairtally_results::{InputFile, Provenance};
pub use fingerprint::{FINGERPRINT_BINS, Fingerprint, fingerprint};
pub use fraud_model::{
    CleanParameters, FE_ALARM, FI_ALARM, FitSettings, FraudModelFit, fit_fraud_model,
};
pub use from_results::{Conversion, LeftOut, from_results};
pub use histograms::{BINS, BINS_PER_POINT, Histogram, Histograms, histograms, integer_peak_ratio};
pub use klimek_published::{
    Loss, ModelUncertainty, PUBLISHED_ALPHAS, ShareHistogramFit, fit_share_histogram,
};
pub use report::{Outputs, write_outputs};
pub use shpilkin::{ShpilkinEstimate, TurnoutBin, shpilkin_estimate};

pub use election::{Election, MAX_STATION_FIGURE, Station};
pub use error::ForensicsError;
pub use integer_percentage::{
    IntegerPercentageTest, integer_percentage_by_region, integer_percentage_test,
};
pub use simulate::{Simulation, simulate};
