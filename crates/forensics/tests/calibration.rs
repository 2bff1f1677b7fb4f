//! On simulated clean elections no test raises an alarm more often than its nominal rate; on
//! simulated elections with injected falsification the matching test raises it. The digit
//! tests are also calibrated on the real station sizes of Russia 2012, where the textbook
//! nulls fail.

use std::path::Path;

use fairtally_forensics::{
    ALARM_LEVEL, DIGIT_REPS, DigitKind, DigitTest, FitSettings, ForensicsError, Simulation,
    digit_tests, fit_fraud_model, from_results, integer_percentage_test, shpilkin_estimate,
    simulate,
};
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// The most alarms allowed in `trials` at nominal rate `rate`: the expected count plus three
/// binomial standard deviations (a correct test exceeds it about once in a thousand runs).
fn allowed(trials: usize, rate: f64) -> usize {
    let n = trials as f64;
    (n * rate + 3.0 * (n * rate * (1.0 - rate)).sqrt()).floor() as usize
}

const ELECTIONS: u64 = 100;
const STATIONS: usize = 3000;

#[test]
fn clean_elections_raise_no_more_alarms_than_nominal() -> Result<(), ForensicsError> {
    let (mut integer, mut shpilkin, mut second, mut last, mut digit_trials) = (0, 0, 0, 0, 0);
    let mut klimek = 0;
    let klimek_elections = 30;
    for seed in 0..ELECTIONS {
        let election = simulate(&Simulation::clean(STATIONS, seed))?;
        let test =
            integer_percentage_test(&election, 200, seed)?.ok_or(ForensicsError::NoStations)?;
        integer += usize::from(test.p_value < 0.05);
        let estimate = shpilkin_estimate(&election, 100, seed).ok_or(ForensicsError::NoStations)?;
        shpilkin += usize::from(estimate.alarm);
        for (_, second_digit, last_digit) in digit_tests(&election, DIGIT_REPS, seed)? {
            digit_trials += 1;
            second += usize::from(second_digit.is_some_and(|t| t.alarm));
            last += usize::from(last_digit.is_some_and(|t| t.alarm));
        }
        if seed < klimek_elections {
            let settings = FitSettings {
                axis_points: 100,
                fraud_points: 16,
                ..FitSettings::full(30, seed)
            };
            let fit = fit_fraud_model(&election, &settings).ok_or(ForensicsError::NoStations)?;
            klimek += usize::from(fit.alarm);
        }
    }
    let elections = ELECTIONS as usize;
    eprintln!(
        "alarms in {elections} clean elections: integer {integer} (p < 0.05), Shpilkin {shpilkin} (nominal 2.5 %), \
         second digit {second} and last digit {last} of {digit_trials} (nominal {ALARM_LEVEL}), \
         fraud model {klimek} of {klimek_elections}"
    );
    assert!(
        integer <= allowed(elections, 0.05),
        "integer-percentage test: {integer}"
    );
    assert!(
        shpilkin <= allowed(elections, 0.025),
        "Shpilkin: {shpilkin}"
    );
    assert!(
        second <= allowed(digit_trials, ALARM_LEVEL),
        "second digit: {second}"
    );
    assert!(
        last <= allowed(digit_trials, ALARM_LEVEL),
        "last digit: {last}"
    );
    // The fraud model's alarm thresholds were set above what clean simulations give.
    assert_eq!(klimek, 0, "fraud model");
    Ok(())
}

#[test]
fn injected_falsification_is_detected() -> Result<(), ForensicsError> {
    for seed in 0..5 {
        let rounded = simulate(&Simulation {
            rounding: 0.1,
            ..Simulation::clean(STATIONS, seed)
        })?;
        let test =
            integer_percentage_test(&rounded, 200, seed)?.ok_or(ForensicsError::NoStations)?;
        assert!(
            test.p_value < 0.01 && test.excess > 0.0,
            "rounding, seed {seed}: {test:?}"
        );

        let stuffed = simulate(&Simulation {
            stuffing: 0.2,
            ..Simulation::clean(STATIONS, seed)
        })?;
        let estimate = shpilkin_estimate(&stuffed, 100, seed).ok_or(ForensicsError::NoStations)?;
        assert!(
            estimate.alarm,
            "stuffing, seed {seed}: {:?}",
            estimate.anomalous_votes_interval
        );

        let invented = simulate(&Simulation {
            invented_counts: 0.1,
            ..Simulation::clean(STATIONS, seed)
        })?;
        let leader = digit_tests(&invented, DIGIT_REPS, seed)?.remove(0);
        assert!(
            leader.2.is_some_and(|t| t.alarm),
            "invented counts, seed {seed}"
        );
    }
    Ok(())
}

/// The registered voters of every station of Russia 2012, as imported.
fn russia_2012_registered() -> Result<Vec<u64>, Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mapping = fairtally_results::Mapping::from_file(Path::new(&format!(
        "{root}/mappings/russia-2012.toml"
    )))?;
    let data = format!("{root}/../shared/data/russia/2012.csv.zip");
    let (results, _) = fairtally_results::import(Path::new(&data), &mapping)?;
    let (election, _) = from_results(&results, None)?;
    Ok(election.stations.iter().map(|s| s.registered).collect())
}

/// Pearson's p-value against the textbook distribution (9 degrees of freedom), which the
/// calibrated test replaced.
fn textbook_p_value(test: &DigitTest) -> Result<f64, Box<dyn std::error::Error>> {
    let n = test.counts_used as f64;
    let chi: f64 = test
        .observed
        .iter()
        .zip(test.kind.textbook())
        .map(|(&o, p)| (o as f64 - n * p).powi(2) / (n * p))
        .sum();
    Ok(ChiSquared::new(9.0)?.sf(chi))
}

/// Clean elections on the 95,415 real station sizes of 2012, with 2012's shares: the textbook
/// nulls reject most options (what the statistician found), the calibrated tests do not alarm
/// more often than nominal. Twelve elections, five options, two tests: 120 trials.
#[test]
fn digit_tests_keep_their_rate_on_real_station_sizes() -> Result<(), Box<dyn std::error::Error>> {
    let registered = russia_2012_registered()?;
    assert_eq!(registered.len(), 95_415);
    let elections = 12;
    let (mut alarms, mut trials, mut textbook_rejections, mut below_tenth) = (0, 0, 0, 0);
    for seed in 0..elections {
        let election = simulate(&Simulation {
            regions: 83,
            ..Simulation::on_registered(registered.clone(), seed)
        })?;
        for (option, second, last) in digit_tests(&election, DIGIT_REPS, seed)? {
            for test in [second, last].into_iter().flatten() {
                trials += 1;
                alarms += usize::from(test.alarm);
                let textbook = textbook_p_value(&test)?;
                textbook_rejections += usize::from(textbook < ALARM_LEVEL);
                below_tenth += usize::from(test.p_value < 0.1);
                if seed == 0 {
                    eprintln!(
                        "{option} {:?}: calibrated p = {:.3}, w = {:.4}, mean {:.3} (null {:.3}); textbook p = {textbook:.1e}",
                        test.kind,
                        test.p_value,
                        test.effect_size,
                        test.mean_digit,
                        test.expected_mean_digit
                    );
                }
            }
        }
    }
    eprintln!(
        "real 2012 sizes: {alarms} calibrated alarms (p < {ALARM_LEVEL}), {below_tenth} with p < 0.1, \
         {textbook_rejections} textbook rejections in {trials} clean trials"
    );
    assert_eq!(trials, elections as usize * 10);
    assert!(alarms <= allowed(trials, ALARM_LEVEL), "{alarms} alarms");
    // The textbook nulls are rejected far more often than their nominal 1 %.
    assert!(textbook_rejections > trials / 3, "{textbook_rejections}");
    Ok(())
}

/// The calibrated digit tests still see invented counts on the real station sizes.
#[test]
fn digit_tests_detect_invented_counts_on_real_station_sizes()
-> Result<(), Box<dyn std::error::Error>> {
    let registered = russia_2012_registered()?;
    let election = simulate(&Simulation {
        invented_counts: 0.05,
        ..Simulation::on_registered(registered, 3)
    })?;
    let leader = digit_tests(&election, DIGIT_REPS, 3)?.remove(0);
    let last = leader.2.ok_or("no last-digit test")?;
    assert_eq!(last.kind, DigitKind::Last);
    assert!(last.alarm, "p = {}", last.p_value);
    Ok(())
}
