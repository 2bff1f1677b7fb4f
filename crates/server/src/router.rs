//! The router, built in one function from the handlers, and the running server's parts.

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{any, get, post};
use fairtally_board::board::Board;
use fairtally_election::ballot_box::BallotIndexReader;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::ServeOptions;
use crate::api::{self, App};
use crate::ballot_queue::{BallotBoxThread, BallotQueue};
use crate::checkpoints::Sequencer;
use crate::election_dir::ElectionDir;
use crate::error::ServerError;
use crate::limits::{self, RateLimiter};
use crate::metrics::Metrics;
use crate::{board_files, web};

/// Builds the whole router over `app`.
pub fn router(app: Arc<App>, options: &ServeOptions) -> Router {
    let limiter = Arc::new(RateLimiter::new(
        options.limits.rate_per_second,
        options.limits.rate_burst,
    ));
    let api = Router::new()
        .route("/api/v1/ballots", post(api::post_ballot))
        .route("/api/v1/ballots/{code}", get(api::get_ballot))
        .route("/api/v1/observations", post(api::post_observation))
        .route("/api/{*rest}", any(api::not_found))
        .route("/healthz", get(api::healthz))
        .route("/metrics", get(api::metrics))
        .with_state(app.clone());
    Router::new()
        .merge(api)
        .nest("/board", board_files::routes(app.election.public()))
        .merge(web::routes(options.web_dir.clone()))
        .layer(DefaultBodyLimit::max(options.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            options.limits.request_timeout,
            limits::timeout,
        ))
        // After the body limit and timeout: photos stream with their own bound and timeout.
        .merge(crate::photos::routes(
            &app.election,
            app.board.clone(),
            &options.photos,
            &options.trusted_organisations,
        ))
        .layer(middleware::from_fn_with_state(limiter, limits::rate_limit))
        .layer(middleware::from_fn_with_state(
            app.metrics.clone(),
            limits::log_requests,
        ))
}

/// A started server: the ballot box's thread, the checkpoint sequencer, the shared state.
pub struct Running {
    app: Arc<App>,
    thread: BallotBoxThread,
    sequencer: Arc<Sequencer>,
    options: ServeOptions,
}

impl Running {
    /// Opens the election: the ballot box on its thread, the sequencer (which publishes a
    /// first checkpoint at once), a board handle for reads.
    pub(crate) async fn start(options: &ServeOptions) -> Result<Self, ServerError> {
        let election = ElectionDir::new(&options.election_dir)?;
        let metrics = Arc::new(Metrics::default());
        let (queue, thread) = {
            let (election, limits, metrics) =
                (election.clone(), options.limits.clone(), metrics.clone());
            tokio::task::spawn_blocking(move || BallotQueue::start(&election, &limits, metrics))
                .await
                .map_err(|e| ServerError::Task(e.to_string()))??
        };
        let sequencer = Arc::new(Sequencer::open(
            &election,
            options.cosigner.clone(),
            metrics.clone(),
        )?);
        sequencer.sequence().await?;
        let board = Board::open(&election.board)?;
        // After the box opened: it brought an older index up to date.
        let index = BallotIndexReader::open(&election.board)?;
        if let Some(dir) = &options.web_dir
            && !web::is_built(dir)
        {
            tracing::warn!(
                "no web front end in {}: run `{}`; serving the API only",
                dir.display(),
                web::BUILD_COMMAND
            );
        }
        let app = Arc::new(App {
            election,
            queue,
            index: Arc::new(Mutex::new(index)),
            board: Arc::new(Mutex::new(board)),
            published: sequencer.published(),
            metrics,
            trusted_organisations: options.trusted_organisations.clone(),
        });
        Ok(Running {
            app,
            thread,
            sequencer,
            options: options.clone(),
        })
    }

    /// Serves on `listener` until `shutdown`, then: stops accepting, finishes the requests in
    /// flight, lets the ballot box commit its queue, publishes a last checkpoint.
    pub(crate) async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Running {
            app,
            thread,
            sequencer,
            options,
        } = self;
        let address = listener.local_addr().ok();
        let router = router(app.clone(), &options);
        drop(app);
        let (stop, stopped) = watch::channel(false);
        let ticking = {
            let sequencer = sequencer.clone();
            let interval = options.checkpoint_interval;
            tokio::spawn(async move { sequencer.run(interval, stopped).await })
        };
        if let Some(address) = address {
            tracing::info!("serving on http://{address}");
        }
        crate::connections::serve_connections(listener, router, &options.limits, shutdown).await;
        tracing::info!("shutting down: committing queued ballots");
        // Every handle on the queue went with the router: the thread drains it and stops.
        let joined = tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|e| ServerError::Task(e.to_string()))?;
        let _ = stop.send(true);
        let _ = ticking.await;
        let last = sequencer.sequence().await;
        joined?;
        last?;
        tracing::info!("shut down cleanly");
        Ok(())
    }
}
