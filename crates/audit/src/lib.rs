//! Risk-limiting audits of paper ballots and of polling-station protocols.
//!
//! - [`sampler`]: Rivest's consistent sampler over a [`manifest::BallotManifest`], as Arlo
//!   uses it, and retrieval lists; [`seed`]: the commit–reveal seed.
//! - [`contest`]: reported results (plurality, vote-for-n, supermajority) and their
//!   winner–loser pairs; [`assorter`]: SHANGRLA's assorters for them.
//! - Ballot polling: [`bravo`] (risk, average sample number, round sizes) and [`alpha`]
//!   (ALPHA's supermartingale; also Kaplan–Markov and Kaplan–Wald on nonnegative values).
//! - Comparison: [`comparison`] (Kaplan–Markov with 1- and 2-vote over- and understatements)
//!   and [`batch`] (stations as batches: MACRO with a Kaplan–Markov bound).
//! - [`samples`]: reading the audit board's observations; [`conduct`]: an audit round by
//!   round; [`rounds`]: rounds, verdict and escalation; [`report`]: report.html;
//!   [`entries`]: the audit's typed bulletin-board entries.
//!
//! Every formula and its source is in docs/AUDIT.md.

pub mod alpha;
pub mod assorter;
pub mod batch;
pub mod bravo;
pub mod comparison;
pub mod conduct;
pub mod contest;
pub mod entries;
pub mod error;
mod input;
pub mod manifest;
pub mod report;
pub mod rounds;
pub mod sampler;
pub mod samples;
pub mod seed;

pub use error::AuditError;
