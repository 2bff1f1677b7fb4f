//! The server's memory over a run, sampled from `/proc/PID/status` (Linux).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the server's memory is sampled.
const INTERVAL: Duration = Duration::from_millis(250);

/// One sample: the resident set size when `acked` ballots had been acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemorySample {
    /// Ballots acknowledged so far.
    pub acked: u64,
    /// Resident set size (VmRSS), bytes.
    pub rss: u64,
}

/// The server's memory over the run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryReport {
    /// The samples, in time order (a restarted server's samples are those of the PID given).
    pub samples: Vec<MemorySample>,
    /// The peak resident set size the kernel recorded (VmHWM) at the last sample, bytes.
    pub high_water: u64,
}

impl MemoryReport {
    /// The resident set size when about `fraction` of `total` ballots were acknowledged
    /// (the first sample at or past that point).
    pub fn rss_at(&self, fraction: f64, total: u64) -> Option<u64> {
        let mark = (fraction * total as f64) as u64;
        self.samples.iter().find(|s| s.acked >= mark).map(|s| s.rss)
    }

    /// The largest resident set size sampled.
    pub fn max_rss(&self) -> u64 {
        self.samples.iter().map(|s| s.rss).max().unwrap_or(0)
    }
}

/// Samples a process's memory on a thread of its own until stopped.
pub struct MemorySampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<MemoryReport>,
}

impl MemorySampler {
    /// Starts sampling process `pid`; `acked` is the run's count of acknowledged ballots.
    pub fn start(pid: u32, acked: Arc<AtomicU64>) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("memory-sampler".into())
            .spawn(move || {
                let mut report = MemoryReport::default();
                loop {
                    if let Some((rss, hwm)) = read_status(pid) {
                        report.samples.push(MemorySample {
                            acked: acked.load(Ordering::Relaxed),
                            rss,
                        });
                        report.high_water = hwm;
                    }
                    if flag.load(Ordering::Relaxed) {
                        return report;
                    }
                    std::thread::sleep(INTERVAL);
                }
            })?;
        Ok(MemorySampler { stop, thread })
    }

    /// Takes a last sample and returns the report.
    pub fn finish(self) -> MemoryReport {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// VmRSS and VmHWM of `pid` in bytes, or nothing when the process is gone.
fn read_status(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_status(&text)
}

fn parse_status(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        let kib: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fields_are_read_in_bytes() {
        let text = "Name:\tfairtally\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\n";
        assert_eq!(parse_status(text), Some((10 << 20, 20 << 20)));
        assert_eq!(parse_status("Name: x\n"), None);
    }

    #[test]
    fn the_own_process_is_sampled() {
        let sampler = MemorySampler::start(std::process::id(), Arc::new(AtomicU64::new(5)));
        let report = sampler.map(MemorySampler::finish).unwrap_or_default();
        assert!(report.max_rss() > 0 && report.high_water >= report.max_rss());
        assert_eq!(report.rss_at(1.0, 5), Some(report.samples[0].rss));
    }
}
