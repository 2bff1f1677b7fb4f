//! Prometheus metrics (`GET /metrics`, text exposition format), with the `prometheus-client`
//! crate (the Prometheus project's own Rust client).

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a served request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route (`/api/v1/ballots`, `/board`, ...), never the raw path.
    pub route: String,
    /// The HTTP status code.
    pub status: u16,
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests served, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Ballots newly accepted into the box.
    pub ballots_accepted: Counter,
    /// Ballots per commit.
    pub batch_size: Histogram,
    /// Seconds per commit, with its ballots' checks.
    pub batch_seconds: Histogram,
    /// Observers' submissions newly put on the board.
    pub observations_accepted: Counter,
    /// Tree size of the latest published checkpoint.
    pub checkpoint_size: Gauge<u64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("fairtally");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests served", requests.clone());
        let ballots_accepted = Counter::default();
        registry.register(
            "ballots_accepted",
            "Ballots newly accepted into the ballot box",
            ballots_accepted.clone(),
        );
        let batch_size = Histogram::new(exponential_buckets(1.0, 2.0, 11));
        registry.register(
            "ballot_batch_size",
            "Ballots per group commit",
            batch_size.clone(),
        );
        let batch_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 14));
        registry.register(
            "ballot_batch_seconds",
            "Seconds per group commit, verification included",
            batch_seconds.clone(),
        );
        let observations_accepted = Counter::default();
        registry.register(
            "observations_accepted",
            "Observers' submissions newly put on the board",
            observations_accepted.clone(),
        );
        let checkpoint_size = Gauge::<u64, AtomicU64>::default();
        registry.register(
            "checkpoint_size",
            "Tree size of the latest published checkpoint",
            checkpoint_size.clone(),
        );
        Metrics {
            registry,
            requests,
            ballots_accepted,
            batch_size,
            batch_seconds,
            observations_accepted,
            checkpoint_size,
        }
    }
}

impl Metrics {
    /// Records one commit.
    pub fn observe_batch(&self, ballots: usize, elapsed: Duration) {
        self.batch_size.observe(ballots as f64);
        self.batch_seconds.observe(elapsed.as_secs_f64());
    }

    /// The metrics in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
