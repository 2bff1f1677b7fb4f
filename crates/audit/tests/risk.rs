//! Seeded simulations: under a tied or reversed true outcome each method confirms the reported
//! (wrong) winner at most as often as the risk limit allows (plus three standard errors of
//! the simulation), and under the reported outcome the mean sample size is close to the
//! computed one. Every check is sequential (after each ballot or draw), the hardest case.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use fairtally_audit::alpha::{self, Estimator};
use fairtally_audit::batch::{BatchAudit, BatchCounts, Layout};
use fairtally_audit::bravo;
use fairtally_audit::comparison::{self, Discrepancies, Rates};
use fairtally_audit::contest::{Choice, Contest, Rule};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const RISK_LIMIT: f64 = 0.1;

/// The largest confirmation rate a valid method may show in `trials` simulations.
fn allowance(trials: u32) -> f64 {
    RISK_LIMIT + 3.0 * (RISK_LIMIT * (1.0 - RISK_LIMIT) / f64::from(trials)).sqrt()
}

fn plurality(a: u64, b: u64, ballots: u64) -> Contest {
    Contest::new(
        "c",
        vec![
            Choice {
                name: "A".into(),
                votes: a,
            },
            Choice {
                name: "B".into(),
                votes: b,
            },
        ],
        Some(ballots),
        Rule::Plurality { winners: 1 },
    )
    .unwrap()
}

/// Sequential BRAVO with ballots for A with probability `true_a` (the rest for B): the
/// number of ballots at which it confirmed, if it did within `max`.
fn bravo_run(rng: &mut StdRng, reported: (u64, u64), true_a: f64, max: u64) -> Option<u64> {
    let (mut w, mut l) = (0, 0);
    for n in 1..=max {
        if rng.random::<f64>() < true_a {
            w += 1
        } else {
            l += 1
        }
        if bravo::risk_from_counts(reported.0, reported.1, w, l) <= RISK_LIMIT {
            return Some(n);
        }
    }
    None
}

#[test]
fn bravo_rarely_confirms_a_wrong_winner() {
    let mut rng = StdRng::seed_from_u64(1);
    let trials = 2000;
    for true_a in [0.5, 0.45] {
        let confirmed = (0..trials)
            .filter(|_| bravo_run(&mut rng, (550, 450), true_a, 2000).is_some())
            .count();
        let rate = confirmed as f64 / f64::from(trials);
        eprintln!("true share {true_a}: confirmed {rate}");
        assert!(
            rate <= allowance(trials),
            "true share {true_a}: confirmed {rate}"
        );
    }
}

#[test]
fn bravo_mean_sample_matches_its_asn() {
    let mut rng = StdRng::seed_from_u64(2);
    let contest = plurality(600, 400, 1000);
    let asn = bravo::asn(&contest, RISK_LIMIT).unwrap() as f64;
    let trials = 2000;
    let total: u64 = (0..trials)
        .map(|_| bravo_run(&mut rng, (600, 400), 0.6, 100_000).unwrap())
        .sum();
    let mean = total as f64 / f64::from(trials);
    eprintln!("mean {mean} vs ASN {asn}");
    assert!((mean - asn).abs() / asn < 0.1, "mean {mean} vs ASN {asn}");
}

#[test]
fn alpha_rarely_confirms_a_wrong_winner() {
    let mut rng = StdRng::seed_from_u64(3);
    let n = 2000u64;
    let trials = 1000;
    for true_a in [1000u64, 950] {
        // A population of n ballots, sampled without replacement (shuffled), 400 at most.
        let mut ballots: Vec<f64> = (0..n).map(|i| if i < true_a { 1.0 } else { 0.0 }).collect();
        let reported = Estimator::shrink_trunc(0.55, 0.5);
        let mut confirmed = 0;
        for _ in 0..trials {
            for i in 0..400 {
                let j = rng.random_range(i..n as usize);
                ballots.swap(i, j);
            }
            let history = alpha::alpha_mart(&ballots[..400], 0.5, 1.0, Some(n), &reported);
            if history.iter().any(|&t| t >= 1.0 / RISK_LIMIT) {
                confirmed += 1;
            }
        }
        let rate = f64::from(confirmed) / f64::from(trials);
        eprintln!("true A {true_a}: confirmed {rate}");
        assert!(
            rate <= allowance(trials),
            "true A {true_a}: confirmed {rate}"
        );
    }
}

/// Sequential Kaplan–Markov comparison where each sampled ballot is a 1-vote overstatement
/// with probability `o1_rate`: the ballots at which it confirmed, if within `max`.
fn comparison_run(rng: &mut StdRng, margin: f64, o1_rate: f64, max: u64) -> Option<u64> {
    let mut d = Discrepancies::default();
    for n in 1..=max {
        if rng.random::<f64>() < o1_rate {
            d.o1 += 1;
        }
        if comparison::p_value(n, margin, comparison::DEFAULT_GAMMA, d) <= RISK_LIMIT {
            return Some(n);
        }
    }
    None
}

#[test]
fn comparison_rarely_confirms_a_wrong_winner() {
    // Reported A 5,500, B 4,500 of 10,000 (margin 0.1); 1,000 or 1,100 CVRs show a vote for A
    // on a blank paper: the true outcome is a tie or reversed.
    let mut rng = StdRng::seed_from_u64(4);
    let trials = 2000;
    for wrong in [1000.0, 1100.0] {
        let confirmed = (0..trials)
            .filter(|_| comparison_run(&mut rng, 0.1, wrong / 10_000.0, 3000).is_some())
            .count();
        let rate = confirmed as f64 / f64::from(trials);
        eprintln!("{wrong} overstatements: confirmed {rate}");
        assert!(
            rate <= allowance(trials),
            "{wrong} overstatements: confirmed {rate}"
        );
    }
}

#[test]
fn comparison_mean_sample_is_near_the_expected_size() {
    let mut rng = StdRng::seed_from_u64(5);
    let (margin, o1) = (0.05, 0.005);
    let rates = Rates {
        o1,
        ..Default::default()
    };
    let expected =
        comparison::expected_sample_size(RISK_LIMIT, comparison::DEFAULT_GAMMA, margin, rates)
            .unwrap() as f64;
    let trials = 1000;
    let total: u64 = (0..trials)
        .map(|_| comparison_run(&mut rng, margin, o1, 100_000).unwrap())
        .sum();
    let mean = total as f64 / f64::from(trials);
    eprintln!("mean {mean} vs expected {expected}");
    assert!(
        (mean - expected).abs() / expected < 0.15,
        "mean {mean} vs expected {expected}"
    );
}

#[test]
fn batch_comparison_rarely_confirms_a_wrong_winner() {
    // 100 stations of 100 ballots, each reported A 55, B 45 (margin 1,000 votes). In `bad`
    // of them the hand count is A 5, B 95: each overstates the margin by 100 votes.
    let layout = Layout {
        contests: vec![("c".into(), vec!["A".into(), "B".into()])],
    };
    let reported: Vec<BatchCounts> = (0..100)
        .map(|i| BatchCounts {
            name: format!("s{i}"),
            ballots: 100,
            votes: vec![vec![55, 45]],
        })
        .collect();
    let audit = BatchAudit::new(&layout, reported.clone(), Rule::Plurality { winners: 1 }).unwrap();
    let mut rng = StdRng::seed_from_u64(6);
    let trials = 2000;
    for bad in [10usize, 11] {
        let truth: Vec<BatchCounts> = reported
            .iter()
            .enumerate()
            .map(|(i, b)| {
                if i < bad {
                    BatchCounts {
                        votes: vec![vec![5, 95]],
                        ..b.clone()
                    }
                } else {
                    b.clone()
                }
            })
            .collect();
        let mut confirmed = 0;
        for _ in 0..trials {
            let mut draws = Vec::new();
            for _ in 0..100 {
                let p = rng.random_range(0..100usize);
                draws.push((p, &truth[p]));
                if audit.risk(&draws) <= RISK_LIMIT {
                    confirmed += 1;
                    break;
                }
            }
        }
        let rate = f64::from(confirmed) / f64::from(trials);
        eprintln!("{bad} bad stations: confirmed {rate}");
        assert!(
            rate <= allowance(trials),
            "{bad} bad stations: confirmed {rate}"
        );
    }
    // With no errors the audit stops exactly at its computed size.
    let n = audit.sample_size(RISK_LIMIT) as usize;
    let clean: Vec<(usize, &BatchCounts)> = (0..n).map(|p| (p % 100, &reported[p % 100])).collect();
    assert!(audit.risk(&clean) <= RISK_LIMIT);
    assert!(audit.risk(&clean[..n - 1]) > RISK_LIMIT);
}
