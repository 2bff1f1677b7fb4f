//! Per-client rate limits, request timeouts and the request log, as axum middleware.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, RefusalReason};
use crate::metrics::{Metrics, RequestLabels};

/// Clients remembered at most; past that, clients whose bucket has refilled are forgotten.
const MAX_CLIENTS: usize = 100_000;

/// A token bucket per client address.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `rate` requests per second on average, `burst` at once.
    pub fn new(rate: f64, burst: f64) -> Self {
        RateLimiter {
            rate: rate.max(f64::MIN_POSITIVE),
            burst: burst.max(1.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`; when none is left, the seconds until one is.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_CLIENTS && !buckets.contains_key(&client) {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, b| b.tokens + rate * now.duration_since(b.at).as_secs_f64() < burst);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let refilled = bucket.tokens + self.rate * now.duration_since(bucket.at).as_secs_f64();
        bucket.tokens = refilled.min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.rate).ceil().max(1.0) as u64)
        }
    }
}

fn client(request: &Request) -> Option<SocketAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}

/// Refuses a client's `POST` past its rate with `429` and `Retry-After`.
pub async fn rate_limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::POST
        && let Some(address) = client(&request)
        && let Err(seconds) = limiter.take(address.ip(), Instant::now())
    {
        return ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from this address; slow down",
            )
        }
        .into_response();
    }
    next.run(request).await
}

/// Answers `408` when a request (its body included) takes longer than the limit.
pub async fn timeout(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the request took longer than {} s", limit.as_secs_f64()),
        )
        .into_response(),
    }
}

/// Counts every request by route and status, and logs one line for each refused one (status
/// 400 or more) with the client, the request and the reason.
pub async fn log_requests(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| route_group(request.uri().path()));
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let address = client(&request);
    let response = next.run(request).await;
    let status = response.status();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            status: status.as_u16(),
        })
        .inc();
    if status.is_client_error() || status.is_server_error() {
        let reason = response
            .extensions()
            .get::<RefusalReason>()
            .map_or("", |r| r.0.as_str());
        let client = address.map(|a| a.to_string()).unwrap_or_default();
        tracing::warn!(%client, %method, %path, status = status.as_u16(), %reason, "refused");
    }
    response
}

/// The metrics label of a path no route matched: its first segment, so that clients cannot
/// make the label set grow.
fn route_group(path: &str) -> String {
    match path.trim_start_matches('/').split('/').next() {
        Some("board") => "/board".into(),
        Some("assets") => "/assets".into(),
        _ => "other".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_past_its_burst_waits_and_others_do_not() {
        let limiter = RateLimiter::new(2.0, 3.0);
        let now = Instant::now();
        let (a, b): (IpAddr, IpAddr) = ([127, 0, 0, 1].into(), [127, 0, 0, 2].into());
        for _ in 0..3 {
            assert_eq!(limiter.take(a, now), Ok(()));
        }
        assert_eq!(limiter.take(a, now), Err(1));
        assert_eq!(limiter.take(b, now), Ok(()));
        assert_eq!(limiter.take(a, now + Duration::from_millis(600)), Ok(()));
    }
}
