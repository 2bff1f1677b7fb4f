//! On simulated clean elections no test raises an alarm more often than its nominal rate; on
//! simulated elections with injected falsification the matching test raises it.

use fairtally_forensics::{
    ALARM_LEVEL, FitSettings, ForensicsError, Simulation, digit_tests, fit_fraud_model,
    integer_percentage_test, shpilkin_estimate, simulate,
};

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
        for (_, second_digit, last_digit) in digit_tests(&election)? {
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
        let leader = digit_tests(&invented)?.remove(0);
        assert!(
            leader.2.is_some_and(|t| t.alarm),
            "invented counts, seed {seed}"
        );
    }
    Ok(())
}
