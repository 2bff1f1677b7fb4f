//! Every known answer in shared/data/rla/known_answers.json (rlacalc, Arlo, SHANGRLA).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use fairtally_audit::alpha::{self, Estimator};
use fairtally_audit::bravo;
use fairtally_audit::comparison::{self, Discrepancies, Rates};
use fairtally_audit::contest::{Choice, Contest, Rule};
use fairtally_audit::manifest::{BallotManifest, Batch};
use fairtally_audit::sampler;
use serde_json::Value;

fn answers() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/rla/known_answers.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("known answers")).unwrap()
}

fn num(v: &Value, key: &str, default: f64) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(default)
}

fn count(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn nh2016() -> f64 {
    (354040.0 - 337589.0) / (354040.0 + 337589.0 + 33234.0)
}

fn margin(v: &Value) -> f64 {
    match &v["margin"] {
        Value::String(s) if s == "nh2016" => nh2016(),
        m => m.as_f64().unwrap(),
    }
}

#[test]
fn rlacalc_nmin() {
    let a = answers();
    let block = &a["rlacalc"]["comparison_nmin_kaplan_markov"];
    let cases = block["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    for case in cases {
        let d = Discrepancies {
            o1: count(case, "o1"),
            o2: count(case, "o2"),
            u1: count(case, "u1"),
            u2: count(case, "u2"),
        };
        let got = comparison::nmin(
            num(case, "alpha", 0.1),
            num(case, "gamma", 1.03905),
            margin(case),
            d,
        );
        assert_eq!(got, case["expected"].as_u64().unwrap(), "{case}");
    }
}

#[test]
fn rlacalc_expected_sample_sizes() {
    let a = answers();
    let block = &a["rlacalc"]["comparison_expected_sample_size"];
    let cases = block["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 8);
    for case in cases {
        let alpha = num(case, "alpha", 0.05);
        let gamma = num(case, "gamma", 1.03905);
        let f = case["fn"].as_str().unwrap();
        let got = if f.starts_with("cli") {
            // rlacalc's command line: its default rates, rounding the 1-vote counts up.
            let rates = Rates {
                o1: 0.001,
                o2: 0.0001,
                u1: 0.001,
                u2: 0.0001,
            };
            comparison::expected_sample_size_rounded(alpha, gamma, margin(case), rates, true, false)
        } else {
            let rates = Rates {
                o1: num(case, "or1", 0.0),
                o2: num(case, "or2", 0.0),
                u1: num(case, "ur1", 0.0),
                u2: num(case, "ur2", 0.0),
            };
            if f == "KM_Expected_sample_size" {
                comparison::expected_sample_size(alpha, gamma, margin(case), rates)
            } else {
                let up1 = case
                    .get("roundUp1")
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                comparison::expected_sample_size_rounded(
                    alpha,
                    gamma,
                    margin(case),
                    rates,
                    up1,
                    false,
                )
            }
        };
        match &case["expected"] {
            Value::String(s) => {
                assert!(s.starts_with("nan"), "{case}");
                assert_eq!(got, None, "{case}");
            }
            e => assert_eq!(got, e.as_u64(), "{case}"),
        }
    }
}

#[test]
fn rlacalc_p_value() {
    let a = answers();
    for case in a["rlacalc"]["comparison_p_value"].as_array().unwrap() {
        let d = Discrepancies {
            o1: count(case, "o1"),
            ..Default::default()
        };
        let got = comparison::p_value(count(case, "n"), margin(case), num(case, "gamma", 0.0), d);
        let want = case["expected"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

#[test]
fn bravo_risk_levels() {
    let a = answers();
    for case in a["rlacalc"]["ballot_polling_bravo_risk_level"]["cases"]
        .as_array()
        .unwrap()
    {
        let got = bravo::risk_from_counts(
            count(case, "W"),
            count(case, "L"),
            count(case, "w_obs"),
            count(case, "l_obs"),
        );
        let want = case["expected"].as_f64().unwrap();
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

fn two_candidates(margin: f64) -> Contest {
    // Shares (1 ± m)/2 of a million ballots: the ASN depends on the shares only.
    let n = 1_000_000u64;
    let w = ((1.0 + margin) / 2.0 * n as f64).round() as u64;
    Contest::new(
        "table 1",
        vec![
            Choice {
                name: "w".into(),
                votes: w,
            },
            Choice {
                name: "l".into(),
                votes: n - w,
            },
        ],
        Some(n),
        Rule::Plurality { winners: 1 },
    )
    .unwrap()
}

#[test]
fn bravo_asn_table1() {
    let a = answers();
    for case in a["rlacalc"]["ballot_polling_bravo_asn_table1"]["cases"]
        .as_array()
        .unwrap()
    {
        let got = bravo::asn(&two_candidates(margin(case)), 0.1).unwrap();
        assert_eq!(got, case["expected"].as_u64().unwrap(), "{case}");
    }
}

#[test]
fn arlo_bravo_asn() {
    let a = answers();
    let cases = a["arlo_bravo"]["asn_alpha_0.1_no_sample_yet"]["cases"]
        .as_array()
        .unwrap();
    assert_eq!(cases.len(), 11);
    for case in cases {
        let choices = case["votes"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(name, v)| Choice {
                name: name.clone(),
                votes: v.as_u64().unwrap(),
            })
            .collect();
        let winners = case["numWinners"].as_u64().unwrap() as usize;
        let result = Contest::new(
            "c",
            choices,
            Some(count(case, "ballots")),
            Rule::Plurality { winners },
        )
        .and_then(|c| bravo::asn(&c, 0.1));
        match &case["expected"] {
            Value::String(e) => {
                let err = result.expect_err(e).to_string();
                let key = match e.as_str() {
                    "error: no losers" => "no losers",
                    "error: tied contest" => "tied contest",
                    "error: sample indicates the audit is over" => "the audit is over",
                    other => panic!("unknown expectation {other}"),
                };
                assert!(err.contains(key), "{}: {err}", case["id"]);
            }
            e => assert_eq!(result.unwrap(), e.as_u64().unwrap(), "{}", case["id"]),
        }
    }
}

#[test]
fn arlo_bravo_round_sizes() {
    let a = answers();
    let cases = a["arlo_bravo"]["bravo_sample_sizes_arlo_specific"]["cases"]
        .as_array()
        .unwrap();
    assert_eq!(cases.len(), 7);
    for case in cases {
        let got = bravo::round_size(
            0.1,
            num(case, "p_w", 0.0),
            num(case, "p_r", 0.0),
            count(case, "sample_w"),
            count(case, "sample_r"),
            num(case, "p_completion", 0.0),
        )
        .unwrap();
        assert_eq!(got, case["expected"].as_u64().unwrap(), "{case}");
    }
}

#[test]
fn arlo_consistent_sampler_first_20() {
    let a = answers();
    let block = &a["arlo_consistent_sampler"];
    let manifest = BallotManifest::new(
        ["pct 1", "pct 2", "pct 3", "pct 4"]
            .iter()
            .map(|n| Batch {
                name: (*n).into(),
                ballots: 25,
            })
            .collect(),
    )
    .unwrap();
    let seed = block["seed"].as_str().unwrap();
    assert!(!seed.is_ascii());
    let draws = sampler::draw(&manifest, seed, 20, true).unwrap();
    let expected = block["expected_first_20"].as_array().unwrap();
    assert_eq!(expected.len(), 20);
    for (d, e) in draws.iter().zip(expected) {
        assert_eq!(d.ticket_number, e[0].as_str().unwrap());
        assert_eq!(d.batch, e[1].as_str().unwrap());
        assert_eq!(d.position, e[2].as_u64().unwrap());
        assert_eq!(u64::from(d.times_drawn), e[3].as_u64().unwrap());
    }
}

fn repeat(v: f64) -> Vec<f64> {
    vec![v; 5]
}

#[test]
fn shangrla_nonneg_mean() {
    let a = answers();
    let cases = a["shangrla_nonnegmean"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    let close = |got: f64, want: f64| {
        assert!(
            (got - want).abs() < 1e-12 * want.max(1.0),
            "{got} vs {want}"
        )
    };
    // alpha_mart on five values of 0.5, N = 10^6, t = 0.5, u = 1: p = 1.
    let est = Estimator::shrink_trunc(0.5 + 1e-3, 0.5);
    close(
        alpha::p_value(&alpha::alpha_mart(
            &repeat(0.5),
            0.5,
            1.0,
            Some(1_000_000),
            &est,
        )),
        cases[0]["expected_p"].as_f64().unwrap(),
    );
    // sample_size with the fixed alternative 0.75, N = 1000, alpha = 0.05.
    let fixed = Estimator::Fixed { eta: 0.75 };
    for (case, value) in [(&cases[1], 1.0), (&cases[2], 0.75)] {
        let got = alpha::sample_size(&repeat(value), 0.5, 1.0, Some(1000), &fixed, 0.05);
        assert_eq!(got, case["expected"].as_u64(), "{case}");
    }
    // Kaplan–Markov and Kaplan–Wald.
    let five_ones = repeat(1.0);
    let mut with_zero = repeat(1.0);
    with_zero.push(0.0);
    close(
        alpha::kaplan_markov(&five_ones, 0.5, 0.0, true),
        cases[3]["expected_p"].as_f64().unwrap(),
    );
    close(
        alpha::kaplan_markov(&with_zero, 0.5, 0.1, true),
        (1.1f64 / 0.6).powi(-5),
    );
    close(
        alpha::kaplan_markov(&with_zero, 0.5, 0.1, false),
        (1.1f64 / 0.6).powi(-5) * 0.6 / 0.1,
    );
    close(
        alpha::kaplan_wald(&five_ones, 0.5, 0.0, true),
        cases[6]["expected_p"].as_f64().unwrap(),
    );
    close(
        alpha::kaplan_wald(&with_zero, 0.5, 0.1, true),
        1.9f64.powi(-5),
    );
    close(
        alpha::kaplan_wald(&with_zero, 0.5, 0.1, false),
        1.9f64.powi(-5) * 10.0,
    );
    for (i, want) in [
        (4, "(1.1/0.6)^-5"),
        (5, "(1.1/0.6)^-5 * 0.6/0.1"),
        (7, "1.9^-5"),
        (8, "1.9^-5 * 10"),
    ] {
        assert_eq!(cases[i]["expected_p"].as_str(), Some(want));
    }
}
