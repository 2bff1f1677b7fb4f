//! Verification time beside its floor: the record's exponentiations (as the specification's
//! equations count them) times the cost of one exponentiation in the record's own group,
//! measured in the same run. Medians of a few runs; `cargo bench -p fairtally-electionguard`.
//!
//! Set `EG_BENCH_SKIP_2=1` to leave out the two 2.0 records (egk 2.0 and egk-ec's integer
//! record, about 15 s of CPU a run each), and `EG_BENCH_RECORD=PATH` to add a record of your
//! own, such as the 1,000-ballot one written by electionguard 1.4
//! (`tools/electionguard-1.4-record.sh 1000 DIR`, then `EG_BENCH_RECORD=DIR/record.zip`):
//! it is verified `EG_BENCH_RECORD_RUNS` times (1 by default: such a record takes minutes),
//! and `EG_BENCH_ONLY_RECORD=1` leaves out every other record.
//! egk-ec's P-256 record is measured against the cost of one P-256 scalar multiplication.
//! The load average is printed first: the machine may be shared, and the wall time shows it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fairtally_electionguard::curve::P256;
use fairtally_electionguard::group::{Group, IntegerGroup};
use fairtally_electionguard::{Files, Options, verify_files};
use num_bigint::BigUint;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/electionguard")
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// One exponentiation in the group: a q-bit exponent on an element that has no table. The
/// wall-clock median of 21, and (on Linux) the CPU time of this thread over the same 21 divided
/// by 21, which a loaded machine does not inflate: a thread that waits for a core uses none.
fn exponentiation_cost<G: Group>(group: &G) -> (Duration, Option<Duration>) {
    let q = group.order().clone();
    let base = group.pow(group.generator(), &(&q - 12345u32));
    let cpu_start = thread_cpu_time();
    let times = (0..21u32)
        .map(|i| {
            let exponent = &q - 1u32 - i;
            let start = Instant::now();
            std::hint::black_box(group.pow(&base, &exponent));
            start.elapsed()
        })
        .collect();
    // The kernel updates the count at its ticks and switches: 21 powers of a few µs (the
    // 64-bit test group, P-256) may show none, which is not a measurement.
    let cpu = cpu_start
        .zip(thread_cpu_time())
        .map(|(a, b)| (b - a) / 21)
        .filter(|t| !t.is_zero());
    (median(times), cpu)
}

/// CPU time of the calling thread in nanoseconds: the first field of
/// /proc/thread-self/schedstat. `None` off Linux.
fn thread_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// CPU time this process has used, all threads together: utime + stime of /proc/self/stat,
/// in the kernel's USER_HZ ticks (100 a second on Linux). On a loaded machine the wall time
/// measures the machine; the CPU time measures the verifier. `None` off Linux.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

fn bench(name: &str, path: &Path, runs: usize) {
    let files = match Files::read(path) {
        Ok(files) => files,
        Err(e) => return println!("{name}: cannot read {}: {e}", path.display()),
    };
    let options = Options {
        allow_test_group: true,
    };
    let mut last = None;
    let cpu_start = cpu_time();
    let times = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let report = verify_files(&files, None, options);
            let t = start.elapsed();
            last = report.ok();
            t
        })
        .collect();
    let cpu = cpu_start
        .zip(cpu_time())
        .map(|(a, b)| (b - a) / runs as u32);
    let time = median(times);
    let Some(report) = last else {
        return println!("{name}: the record could not be verified");
    };
    let (one, one_cpu) = if report.format.contains("P-256") {
        exponentiation_cost(&P256::new())
    } else {
        let (p, q, r, g) = constants(&files);
        exponentiation_cost(&IntegerGroup::new(p, q, r, g))
    };
    let floor = one * report.exponentiations as u32;
    let threads = rayon::current_num_threads() as u32;
    let ballots = report.cast_ballots + report.spoiled_ballots;
    println!(
        "{name}: {} in {:.3} s (median of {runs}); {} exponentiations × {:.1} µs = floor {:.3} s on one core, {:.3} s on {threads}; time/floor on {threads} = {:.2}; {:.1} ballots/s ({ballots} ballots)",
        if report.is_valid() {
            "verified"
        } else {
            "NOT verified"
        },
        time.as_secs_f64(),
        report.exponentiations,
        one.as_secs_f64() * 1e6,
        floor.as_secs_f64(),
        floor.as_secs_f64() / threads as f64,
        time.as_secs_f64() / (floor.as_secs_f64() / threads as f64),
        ballots as f64 / time.as_secs_f64(),
    );
    if let Some(cpu) = cpu {
        println!(
            "    CPU {:.3} s a run (mean), CPU/one-core floor = {:.2}; {:.1} ballots per CPU second",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() / floor.as_secs_f64(),
            ballots as f64 / cpu.as_secs_f64(),
        );
    }
    if let Some((cpu, one_cpu)) = cpu.zip(one_cpu) {
        // The same ratio with both sides in CPU time: on a loaded machine the wall-clock
        // cost of one exponentiation above is inflated by the waits for a core.
        let floor = one_cpu * report.exponentiations as u32;
        println!(
            "    one exponentiation {:.1} µs of CPU: CPU floor {:.3} s, CPU/CPU floor = {:.2}",
            one_cpu.as_secs_f64() * 1e6,
            floor.as_secs_f64(),
            cpu.as_secs_f64() / floor.as_secs_f64(),
        );
    }
}

/// p, q, r, g of the record, read as the verifier reads them.
fn constants(files: &Files) -> (BigUint, BigUint, BigUint, BigUint) {
    let value: serde_json::Value = files.json("constants.json").unwrap_or_default();
    let get = |k: &str| -> BigUint {
        match &value[k] {
            serde_json::Value::String(s) => {
                BigUint::parse_bytes(s.as_bytes(), 16).unwrap_or_default()
            }
            _ => BigUint::default(),
        }
    };
    if value["type"] == "IntegerGroup" {
        // egk-ec's layout: the 2.0 standard group, checked against the record by V1.
        fairtally_electionguard::constants::Standard::V2.constants()
    } else if value["large_prime"].is_string() {
        (
            get("large_prime"),
            get("small_prime"),
            get("cofactor"),
            get("generator"),
        )
    } else {
        // 0.95 writes decimal constants too long for a JSON number: its group is the standard one.
        fairtally_electionguard::constants::Standard::V1.constants()
    }
}

fn main() {
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at the start: {}", load.trim());
    }
    let extra = std::env::var_os("EG_BENCH_RECORD");
    if std::env::var_os("EG_BENCH_ONLY_RECORD").is_none() || extra.is_none() {
        samples();
    }
    if let Some(path) = extra {
        let runs = std::env::var("EG_BENCH_RECORD_RUNS")
            .ok()
            .and_then(|n| n.parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or(1);
        bench("EG_BENCH_RECORD", Path::new(&path), runs);
    }
}

/// The records of ../shared/data/electionguard.
fn samples() {
    let d = data();
    bench(
        "hamilton-general (1.0, 64-bit test group)",
        &d.join("python-1.x/1.0.0-preview-1/sample/hamilton-general"),
        21,
    );
    bench(
        "minimal (0.95, 4096-bit group)",
        &d.join("python-1.x/0.95.0/sample/minimal"),
        5,
    );
    bench(
        "sample (1.91, 4096-bit group)",
        &d.join("python-1.x/1.91/sample"),
        3,
    );
    if std::env::var_os("EG_BENCH_SKIP_2").is_none() {
        bench(
            "egk workflow (2.0, 4096-bit group)",
            &d.join("egk-2.0/workflow/allAvailableJson"),
            1,
        );
        bench(
            "egk-ec allAvailable (2.1 layout, 4096-bit group)",
            &d.join("egk-ec-2.1/allAvailable"),
            1,
        );
    }
    bench(
        "egk-ec allAvailableEc (2.1 layout, P-256; its proofs do not verify)",
        &d.join("egk-ec-2.1/allAvailableEc"),
        3,
    );
}
