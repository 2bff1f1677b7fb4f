//! The HTTP client every networked piece shares: timeouts, bounded retries with backoff, and
//! answers read only up to the size limit of what was asked.
//!
//! `https://` URLs are verified against the system's certificate store (rustls, through
//! reqwest's platform verifier); `SSL_CERT_FILE` names a PEM file of authorities to trust
//! instead, for a board or witness behind a certificate of its own. A certificate that fails
//! verification is reported at once, not retried.
//!
//! Whoever runs a server controls every byte it sends, so an answer is never read whole before
//! its size is known to be within the limit (the same limits as for a local mirror's files,
//! [`fairtally_board::layout`]).

use std::time::Duration;

use crate::error::NetError;

/// How long one request may take, connection included, unless the caller says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a request is tried in all when the connection fails or the server answers
/// 5xx, unless the caller says otherwise.
pub const DEFAULT_ATTEMPTS: u32 = 4;

/// Longest wait between two attempts, whatever a `Retry-After` header asks for.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Largest error body kept to explain a refusal.
const MAX_ERROR_BODY: u64 = 1024;

/// An answer: its status, content type and body (read within the limit).
#[derive(Clone, Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as text, for error messages (at most [`MAX_ERROR_BODY`] bytes, lossy).
    pub fn body_text(&self) -> String {
        let end = self.body.len().min(MAX_ERROR_BODY as usize);
        String::from_utf8_lossy(&self.body[..end]).trim().to_owned()
    }

    /// The error for an answer the caller cannot act on.
    pub fn unexpected(&self, url: &str) -> NetError {
        NetError::Status {
            url: url.to_owned(),
            status: self.status,
            body: self.body_text(),
        }
    }
}

/// A shared HTTP client with a per-request timeout and a bounded number of attempts.
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: reqwest::Client,
    attempts: u32,
    backoff: Duration,
}

impl HttpClient {
    /// A client whose requests time out after `timeout` and are tried `attempts` times in all
    /// (at least once) when the connection fails or the server answers 5xx.
    ///
    /// # Errors
    /// [`NetError::Transport`] when the HTTP client cannot be set up.
    pub fn new(timeout: Duration, attempts: u32) -> Result<Self, NetError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| NetError::Transport {
                url: String::new(),
                reason: format!("cannot set up the HTTP client: {e}"),
            })?;
        Ok(Self {
            client,
            attempts: attempts.max(1),
            backoff: Duration::from_millis(200),
        })
    }

    /// A client with [`DEFAULT_TIMEOUT`] and [`DEFAULT_ATTEMPTS`].
    ///
    /// # Errors
    /// As [`HttpClient::new`].
    pub fn standard() -> Result<Self, NetError> {
        Self::new(DEFAULT_TIMEOUT, DEFAULT_ATTEMPTS)
    }

    /// The same client with another first backoff (it doubles after each failed attempt).
    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }

    /// GETs `url`, reading at most `max` bytes of a successful answer. `None` for 404 (the
    /// caller says whether a missing file is an error).
    ///
    /// # Errors
    /// [`NetError::Transport`] after the last attempt; [`NetError::TooLarge`];
    /// [`NetError::Status`] for any other status than 200 and 404.
    pub async fn get(&self, url: &str, max: u64) -> Result<Option<Vec<u8>>, NetError> {
        let answer = self.send(url, max, || self.client.get(url)).await?;
        match answer.status {
            200 => Ok(Some(answer.body)),
            404 => Ok(None),
            _ => Err(answer.unexpected(url)),
        }
    }

    /// POSTs `body` to `url` with `content_type`, reading at most `max` bytes of the answer.
    /// Only use it for requests that are safe to repeat (the board's and the witnesses' are):
    /// an attempt whose answer was lost is sent again.
    ///
    /// # Errors
    /// [`NetError::Transport`] after the last attempt; [`NetError::TooLarge`].
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: Vec<u8>,
        max: u64,
    ) -> Result<Answer, NetError> {
        self.send(url, max, || {
            self.client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.clone())
        })
        .await
    }

    /// Sends the request `make` builds, again after a failed connection or a 5xx answer,
    /// waiting between attempts (a server's `Retry-After`, capped at [`MAX_BACKOFF`]).
    async fn send(
        &self,
        url: &str,
        max: u64,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Answer, NetError> {
        let mut wait = self.backoff;
        let mut attempt = 1;
        loop {
            let outcome = match make().send().await {
                Ok(response) => read_answer(url, response, max).await,
                // No retry makes an untrusted certificate trusted.
                Err(e) if let Some(reason) = untrusted_certificate(&e) => {
                    return Err(NetError::Transport {
                        url: url.to_owned(),
                        reason,
                    });
                }
                Err(e) => Err(NetError::Transport {
                    url: url.to_owned(),
                    reason: describe(&e),
                }),
            };
            let retry = match &outcome {
                Ok(received) if received.answer.status >= 500 => Some(received.retry_after),
                Err(NetError::Transport { .. }) => Some(None),
                Ok(_) | Err(_) => None,
            };
            let (Some(asked), true) = (retry, attempt < self.attempts) else {
                return match outcome {
                    Ok(received) => Ok(received.answer),
                    Err(NetError::Transport { url, reason }) => Err(NetError::Transport {
                        url,
                        reason: format!("{reason} (after {attempt} attempts)"),
                    }),
                    Err(e) => Err(e),
                };
            };
            let pause = asked.unwrap_or(wait).min(MAX_BACKOFF);
            tracing::debug!(url, attempt, ?pause, "retrying");
            tokio::time::sleep(pause).await;
            wait = (wait * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }
}

/// An answer with the server's `Retry-After`, if it gave one.
struct Received {
    answer: Answer,
    retry_after: Option<Duration>,
}

async fn read_answer(
    url: &str,
    mut response: reqwest::Response,
    max: u64,
) -> Result<Received, NetError> {
    let status = response.status().as_u16();
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let retry_after = header(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    // An error's body only explains it: read a little of it, never fail on its size.
    let limit = if status == 200 || status == 201 || status == 409 {
        max
    } else {
        MAX_ERROR_BODY
    };
    let too_large = || NetError::TooLarge {
        url: url.to_owned(),
        max: limit,
    };
    if response.content_length().is_some_and(|n| n > limit) && limit == max {
        return Err(too_large());
    }
    let mut body = Vec::new();
    loop {
        let chunk = response.chunk().await.map_err(|e| NetError::Transport {
            url: url.to_owned(),
            reason: format!("reading the answer: {}", describe(&e)),
        })?;
        let Some(chunk) = chunk else { break };
        let room = limit.saturating_sub(body.len() as u64) as usize;
        if chunk.len() > room {
            if limit == max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk[..room]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Received {
        answer: Answer {
            status,
            content_type,
            body,
        },
        retry_after,
    })
}

/// A transport error with its causes (reqwest's own message is often just "error sending
/// request").
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// When a request failed because the server's TLS certificate did not verify: why, and what
/// to do about it (no retry helps).
pub fn untrusted_certificate(error: &reqwest::Error) -> Option<String> {
    certificate_problem(error).map(|problem| {
        format!(
            "the server's TLS certificate is not trusted ({problem}); trust the authority that \
             issued it in the system's certificate store, or name a PEM file of it in \
             SSL_CERT_FILE"
        )
    })
}

/// What is wrong with the server's certificate, when that is why a request failed. rustls's
/// error comes wrapped in `io::Error`s, whose `source` skips what they wrap, so each one is
/// opened too.
fn certificate_problem(error: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) =
            current.downcast_ref::<rustls::Error>()
        {
            return Some(tls.to_string());
        }
        cause = match current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(wrapped) => Some(wrapped),
            None => current.source(),
        };
    }
    None
}

/// `base` with exactly one trailing slash, so that relative paths join onto it.
pub fn directory_url(base: &str) -> String {
    format!("{}/", base.trim_end_matches('/'))
}
