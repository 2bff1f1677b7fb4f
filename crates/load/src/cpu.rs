//! The server's CPU time over a run, from `/proc/PID/stat` (Linux). It depends on the server
//! alone, where the accept rate's percentage also moves with the offline verifier's timing (on
//! 3 December the server used 854 to 875 µs a ballot in 5 of 6 runs while the verifier's rate
//! moved from 2,679 to 3,002 ballots/s), so a change to the server shows in it first.
//!
//! The time is also split by thread name (`/proc/PID/task/TID/stat`): in `fairtally serve`
//! the HTTP threads (`tokio-rt-worker`, which also parse and decode the ballots), the checker
//! (`ballot-checker`, with its helper threads) and the ballot box's commits (`ballot-box`),
//! so that what the server spends beyond the verifier's own work can be told apart.

use std::collections::BTreeMap;
use std::time::Duration;

/// The CPU time a process has used, all its threads together, and by thread name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// In user mode.
    pub user: Duration,
    /// In the kernel, on its behalf.
    pub system: Duration,
    /// User and kernel time of the threads alive when it was read, summed by thread name (a
    /// thread that ended took its time out of its name's sum).
    pub by_thread: BTreeMap<String, Duration>,
    /// When the process started, in clock ticks after boot: which process the id named.
    started: u64,
}

impl CpuTime {
    /// What process `pid` has used so far, or nothing when it is gone or this is not Linux.
    pub fn of_process(pid: u32) -> Option<CpuTime> {
        let ticks = clock_ticks_per_second();
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let mut time = parse_stat(&text, ticks)?;
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))
            .ok()?
            .flatten()
        {
            let Ok(text) = std::fs::read_to_string(task.path().join("stat")) else {
                continue; // the thread ended meanwhile
            };
            if let (Some(name), Some(thread)) = (stat_name(&text), parse_stat(&text, ticks)) {
                *time.by_thread.entry(name.to_owned()).or_default() += thread.total();
            }
        }
        Some(time)
    }

    /// Runs `work` and returns what it gave with the CPU time process `pid` used meanwhile:
    /// nothing without a process, or when it ended or another took its id on the way.
    pub fn during<T>(pid: Option<u32>, work: impl FnOnce() -> T) -> (T, Option<CpuTime>) {
        let before = pid.and_then(CpuTime::of_process);
        let done = work();
        let used = pid
            .and_then(CpuTime::of_process)
            .zip(before)
            .and_then(|(after, before)| after.since(&before));
        (done, used)
    }

    /// User and kernel time together.
    pub fn total(&self) -> Duration {
        self.user + self.system
    }

    /// The time used since `earlier`, or nothing when the two readings are of different
    /// processes (the first one ended and another took its id).
    pub fn since(&self, earlier: &CpuTime) -> Option<CpuTime> {
        (self.started == earlier.started).then(|| CpuTime {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            by_thread: self
                .by_thread
                .iter()
                .map(|(name, &now)| {
                    let before = earlier.by_thread.get(name).copied().unwrap_or_default();
                    (name.clone(), now.saturating_sub(before))
                })
                .collect(),
            started: self.started,
        })
    }

    /// The thread names by the time they used, most first (ties by name).
    pub fn busiest_threads(&self) -> Vec<(&str, Duration)> {
        let mut threads: Vec<(&str, Duration)> = self
            .by_thread
            .iter()
            .map(|(name, &time)| (name.as_str(), time))
            .collect();
        threads.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        threads
    }
}

#[cfg(target_os = "linux")]
fn clock_ticks_per_second() -> u64 {
    rustix::param::clock_ticks_per_second()
}

#[cfg(not(target_os = "linux"))]
fn clock_ticks_per_second() -> u64 {
    100
}

/// The command (or thread) name of a `/proc/.../stat` line: field 2, between the first `(`
/// and the last `)`.
fn stat_name(text: &str) -> Option<&str> {
    text.get(text.find('(')? + 1..text.rfind(')')?)
}

/// `utime`, `stime` and `starttime` (fields 14, 15 and 22, in clock ticks) of a
/// `/proc/PID/stat` line. The command name (field 2) is in parentheses and may itself hold
/// spaces and `)`, so the fields are counted from after its last `)`, where field 3 is the
/// first.
fn parse_stat(text: &str, ticks_per_second: u64) -> Option<CpuTime> {
    let after_name = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| -> Option<u64> { fields.get(n - 3)?.parse().ok() };
    let per_second = ticks_per_second.max(1);
    let duration = |ticks: u64| {
        Duration::from_secs(ticks / per_second)
            + Duration::from_nanos((ticks % per_second) * 1_000_000_000 / per_second)
    };
    Some(CpuTime {
        user: duration(field(14)?),
        system: duration(field(15)?),
        by_thread: BTreeMap::new(),
        started: field(22)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_and_kernel_ticks_are_read_after_a_name_with_spaces_and_parentheses() {
        let line =
            "4242 (tokio (rt) w) S 1 4242 4242 0 -1 4194560 1200 0 0 0 250 37 0 0 20 0 9 0 777 0";
        assert_eq!(
            parse_stat(line, 100),
            Some(CpuTime {
                user: Duration::from_millis(2500),
                system: Duration::from_millis(370),
                by_thread: BTreeMap::new(),
                started: 777,
            })
        );
        assert_eq!(stat_name(line), Some("tokio (rt) w"));
        assert_eq!(stat_name("no name at all"), None);
        assert_eq!(parse_stat("4242 (cut) S 1 2", 100), None);
        assert_eq!(parse_stat("no name at all", 100), None);
    }

    #[test]
    fn time_used_since_an_earlier_reading_is_of_the_same_process_only() {
        let threads = |list: &[(&str, u64)]| -> BTreeMap<String, Duration> {
            list.iter()
                .map(|&(name, ms)| (name.to_owned(), Duration::from_millis(ms)))
                .collect()
        };
        let earlier = CpuTime {
            user: Duration::from_secs(3),
            system: Duration::from_secs(1),
            by_thread: threads(&[("ballot-box", 900), ("http", 3000)]),
            started: 777,
        };
        let later = CpuTime {
            user: Duration::from_secs(5),
            system: Duration::from_millis(500),
            by_thread: threads(&[("ballot-box", 1000), ("http", 4000), ("new", 200)]),
            started: 777,
        };
        let used = later.since(&earlier).unwrap_or_default();
        assert_eq!(used.user, Duration::from_secs(2));
        assert_eq!(used.system, Duration::ZERO);
        assert_eq!(used.total(), Duration::from_secs(2));
        assert_eq!(
            used.busiest_threads(),
            vec![
                ("http", Duration::from_millis(1000)),
                ("new", Duration::from_millis(200)),
                ("ballot-box", Duration::from_millis(100)),
            ]
        );
        let another = CpuTime {
            started: 778,
            ..later.clone()
        };
        assert_eq!(another.since(&earlier), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_own_process_is_read_and_its_time_grows_with_work() {
        let read = || CpuTime::of_process(std::process::id());
        let Some(before) = read() else {
            panic!("/proc/self/stat was not read");
        };
        // Work until this thread's counter moves (ticks are 10 ms), for at most 10 s of a busy
        // machine. The test's own thread is read, not the process: other tests run in this
        // process at the same time, and their threads come and go.
        let start = std::time::Instant::now();
        let mut x = 0u64;
        let mut split = CpuTime::default();
        let busiest = |split: &CpuTime| split.busiest_threads().first().map(|t| t.1);
        while busiest(&split) < Some(Duration::from_millis(30))
            && start.elapsed() < Duration::from_secs(10)
        {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            split = read()
                .and_then(|now| now.since(&before))
                .unwrap_or_default();
        }
        assert!(
            busiest(&split) >= Some(Duration::from_millis(30)),
            "{:?} by thread",
            split.by_thread
        );
        // The process's total counts that work too: at least 30 ms of run time, less under a
        // tick lost to rounding its user and its kernel time down each.
        assert!(
            split.total() >= Duration::from_millis(20),
            "{:?} of CPU counted for the process",
            split.total()
        );
        assert_eq!(CpuTime::of_process(u32::MAX), None);
    }
}
