//! The crate's one error type. Every variant names the URL or file at fault and why.

/// Everything that can go wrong talking to a board, a server or a witness over HTTP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A request could not be made or its answer not read (connection refused, reset,
    /// timed out), after the retries allowed.
    #[error("{url}: {reason}")]
    Transport {
        /// The URL asked.
        url: String,
        /// What failed, with the number of attempts.
        reason: String,
    },
    /// The server answered with a status this client cannot act on.
    #[error("{url}: the server answered {status}: {body}")]
    Status {
        /// The URL asked.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The start of the answer's body (at most 1 KiB), to say why.
        body: String,
    },
    /// An answer is larger than the limit for what was asked; it was not read whole.
    #[error("{url}: the answer is larger than {max} bytes, the limit for this file")]
    TooLarge {
        /// The URL asked.
        url: String,
        /// The limit.
        max: u64,
    },
    /// An answer is not in the format the protocol gives.
    #[error("{url}: {reason}")]
    Malformed {
        /// The URL asked (or the request at fault, on the witness's side).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// What a board served fails a check against its signed checkpoint and the trust policy:
    /// a tampered or missing file, a fork, a rollback. `item` names the file by its URL (or by
    /// its path, for a file the local mirror already held).
    #[error("{item}: {reason}")]
    Refused {
        /// The file, URL or checkpoint at fault.
        item: String,
        /// Why it was refused.
        reason: String,
    },
    /// A witness did not cosign, or its answer did not verify under its key.
    #[error("witness {witness}: {reason}")]
    Witness {
        /// The witness's URL and key name.
        witness: String,
        /// Why there is no cosignature from it.
        reason: String,
    },
    /// Fewer witnesses cosigned than the board's policy requires.
    #[error("{got} of the {need} witness cosignatures the policy requires ({failures})")]
    NoQuorum {
        /// Valid cosignatures received.
        got: usize,
        /// The policy's quorum.
        need: usize,
        /// Why the others failed, one per witness.
        failures: String,
    },
    /// A board, outbox or checkpoint operation failed.
    #[error(transparent)]
    Board(#[from] fairtally_board::BoardError),
    /// A file could not be written durably.
    #[error(transparent)]
    Write(#[from] fairtally_files::WriteError),
    /// A local file or directory could not be read or created.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl NetError {
    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: impl Into<std::path::PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
