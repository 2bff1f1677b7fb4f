//! The server's CPU time over a run, from `/proc/PID/stat` (Linux). It depends on the server
//! alone, where the accept rate's percentage also moves with the offline verifier's timing (on
//! 3 December the server used 854 to 875 µs a ballot in 5 of 6 runs while the verifier's rate
//! moved from 2,679 to 3,002 ballots/s), so a change to the server shows in it first.

use std::time::Duration;

/// The CPU time a process has used, all its threads together.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// In user mode.
    pub user: Duration,
    /// In the kernel, on its behalf.
    pub system: Duration,
    /// When the process started, in clock ticks after boot: which process the id named.
    started: u64,
}

impl CpuTime {
    /// What process `pid` has used so far, or nothing when it is gone or this is not Linux.
    pub fn of_process(pid: u32) -> Option<CpuTime> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(&text, clock_ticks_per_second())
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
            started: self.started,
        })
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
                started: 777,
            })
        );
        assert_eq!(parse_stat("4242 (cut) S 1 2", 100), None);
        assert_eq!(parse_stat("no name at all", 100), None);
    }

    #[test]
    fn time_used_since_an_earlier_reading_is_of_the_same_process_only() {
        let earlier = CpuTime {
            user: Duration::from_secs(3),
            system: Duration::from_secs(1),
            started: 777,
        };
        let later = CpuTime {
            user: Duration::from_secs(5),
            system: Duration::from_millis(500),
            started: 777,
        };
        let used = later.since(&earlier).unwrap_or_default();
        assert_eq!(used.user, Duration::from_secs(2));
        assert_eq!(used.system, Duration::ZERO);
        assert_eq!(used.total(), Duration::from_secs(2));
        let another = CpuTime {
            started: 778,
            ..later
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
        // Work until the counter moves (ticks are 10 ms), for at most 10 s of a busy machine.
        let start = std::time::Instant::now();
        let mut x = 0u64;
        let mut used = Duration::ZERO;
        while used < Duration::from_millis(30) && start.elapsed() < Duration::from_secs(10) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            used = read()
                .and_then(|now| now.since(&before))
                .map_or(Duration::ZERO, |u| u.total());
        }
        assert!(used >= Duration::from_millis(30), "{used:?} of CPU counted");
        assert_eq!(CpuTime::of_process(u32::MAX), None);
    }
}
