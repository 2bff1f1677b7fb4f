//! The verdict on a record: each step of the specification with what passed and what failed,
//! and the verified result.

use std::collections::BTreeMap;

use serde::Serialize;

/// At most this many failures are listed per step (the count is always complete).
const LISTED_FAILURES: usize = 100;

/// One failed item: named by its object_id path (ballot, contest, selection, guardian).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    /// The item, e.g. `ballot 03a2.../contest justice-supreme-court/selection john-adams-selection`.
    pub item: String,
    /// What is wrong with it.
    pub reason: String,
}

/// One verification step as the specification numbers it.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// The specification's number, e.g. `V4`.
    pub id: String,
    /// The specification's name of the step.
    pub name: String,
    /// How many items passed.
    pub passed: u64,
    /// How many items failed.
    pub failed: u64,
    /// The failed items (at most 100 are listed).
    pub failures: Vec<Failure>,
}

impl Step {
    /// Whether every item passed.
    pub fn ok(&self) -> bool {
        self.failed == 0
    }
}

/// One selection of the verified result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SelectionResult {
    /// The manifest's selection id.
    pub id: String,
    /// The candidate's name from the manifest.
    pub name: String,
    /// The verified count.
    pub count: u64,
}

/// One contest of the verified result.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ContestResult {
    /// The manifest's contest id.
    pub id: String,
    /// The contest's name from the manifest.
    pub name: String,
    /// Its selections in manifest order.
    pub selections: Vec<SelectionResult>,
}

/// The whole verdict on one record.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The record's format and version as detected.
    pub format: String,
    /// Every step, in the specification's order.
    pub steps: Vec<Step>,
    /// Things the reader must know that are not failures (e.g. a test group was accepted).
    pub notes: Vec<String>,
    /// The tally, in manifest order, as decrypted and verified (absent if it could not be).
    pub contests: Vec<ContestResult>,
    /// Exponentiations the specification's equations ask for (the floor of the work).
    pub exponentiations: u64,
    /// Cast ballots and spoiled ballots in the record.
    pub cast_ballots: u64,
    #[allow(missing_docs)]
    pub spoiled_ballots: u64,
}

impl Report {
    /// Whether every step passed.
    pub fn is_valid(&self) -> bool {
        self.steps.iter().all(Step::ok)
    }

    /// contest id → selection id → count.
    pub fn result(&self) -> BTreeMap<String, BTreeMap<String, u64>> {
        self.contests
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.selections
                        .iter()
                        .map(|s| (s.id.clone(), s.count))
                        .collect(),
                )
            })
            .collect()
    }

    /// The report as the JSON written by `--json`: the fields above plus `verified` and
    /// `result`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(map) = value.as_object_mut() {
            map.insert("verified".into(), self.is_valid().into());
            map.insert(
                "result".into(),
                serde_json::to_value(self.result()).unwrap_or_default(),
            );
        }
        value
    }

    /// The first failed step, if any.
    pub fn first_failure(&self) -> Option<&Step> {
        self.steps.iter().find(|s| !s.ok())
    }
}

/// Outcomes of one step gathered while checking (possibly in parallel, then merged).
#[derive(Default, Clone)]
pub struct Tally {
    passed: u64,
    failed: u64,
    failures: Vec<Failure>,
}

impl Tally {
    /// Record one item: passed if `reason` is `None`.
    pub fn item(&mut self, item: impl FnOnce() -> String, reason: Option<String>) {
        match reason {
            None => self.passed += 1,
            Some(reason) => self.fail(item(), reason),
        }
    }

    /// Record a failed item.
    pub fn fail(&mut self, item: String, reason: String) {
        self.failed += 1;
        if self.failures.len() < LISTED_FAILURES {
            self.failures.push(Failure { item, reason });
        }
    }

    /// Add another tally of the same step.
    pub fn merge(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        let room = LISTED_FAILURES.saturating_sub(self.failures.len());
        self.failures.extend(other.failures.into_iter().take(room));
    }

    /// The finished step.
    pub fn step(self, id: &str, name: &str) -> Step {
        Step {
            id: id.into(),
            name: name.into(),
            passed: self.passed,
            failed: self.failed,
            failures: self.failures,
        }
    }
}

/// One [`Tally`] per step of a specification, merged across threads.
#[derive(Default, Clone)]
pub struct Steps(Vec<Tally>);

impl Steps {
    /// The tally of step `number` (1-based, as the specifications number them).
    pub fn at(&mut self, number: usize) -> &mut Tally {
        if self.0.len() < number {
            self.0.resize(number, Tally::default());
        }
        &mut self.0[number - 1]
    }

    /// Add another set of tallies, step by step.
    pub fn merge(mut self, other: Steps) -> Steps {
        for (i, t) in other.0.into_iter().enumerate() {
            self.at(i + 1).merge(t);
        }
        self
    }

    /// Every tally folded into one (a step that repeats other steps on other items).
    pub fn flatten(self) -> Tally {
        self.0.into_iter().fold(Tally::default(), |mut acc, t| {
            acc.merge(t);
            acc
        })
    }

    /// The finished steps, named by `names` (id, name) in order.
    pub fn finish(mut self, names: &[(&str, &str)]) -> Vec<Step> {
        self.at(names.len());
        self.0
            .into_iter()
            .zip(names)
            .map(|(t, (id, name))| t.step(id, name))
            .collect()
    }
}
