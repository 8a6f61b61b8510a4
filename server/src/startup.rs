//! Building and running the application: used by `main` and by the tests.

use crate::config::{Config, ConfigError, redact_url};
use crate::router::{self, RouterSettings};
use axum::Router;
use ledgerlock_app::ssr::passwords::Passwords;
use ledgerlock_app::ssr::session_store::DbSessionStore;
use ledgerlock_app::ssr::{AppState, db};
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("LEDGERLOCK_DATABASE_URL: cannot open the database at {url} ({cause})")]
    Database { url: String, cause: String },
    #[error("LEDGERLOCK_DATABASE_URL: cannot apply migrations ({0})")]
    Migration(String),
    #[error("LEDGERLOCK_ADDR: cannot listen on {addr} ({cause})")]
    Listen { addr: SocketAddr, cause: String },
    #[error("password hashing could not be set up ({0})")]
    Passwords(String),
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    public_url: Url,
}

/// Opens the database, creating the data directory for SQLite, and migrates it.
pub async fn open_database(config: &Config) -> Result<DatabaseConnection, StartupError> {
    config.prepare_data_dir()?;
    let db = db::connect(&config.database_url)
        .await
        .map_err(|error| StartupError::Database {
            url: redact_url(&config.database_url),
            cause: error.to_string(),
        })?;
    db::migrate(&db)
        .await
        .map_err(|error| StartupError::Migration(error.to_string()))?;
    Ok(db)
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db = open_database(&config).await?;
        let listener =
            TcpListener::bind(config.addr)
                .await
                .map_err(|error| StartupError::Listen {
                    addr: config.addr,
                    cause: error.to_string(),
                })?;
        let addr = listener
            .local_addr()
            .map_err(|error| StartupError::Listen {
                addr: config.addr,
                cause: error.to_string(),
            })?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => {
                Url::parse(&format!("http://{addr}")).map_err(|error| StartupError::Listen {
                    addr,
                    cause: error.to_string(),
                })?
            }
        };

        let hash_file = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt")));
        let assets_hashed = hash_file.is_some_and(|path| path.is_file());
        let leptos_options = LeptosOptions::builder()
            .output_name("ledgerlock")
            .site_root(config.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .hash_files(assets_hashed)
            .build();

        let passwords =
            Passwords::new().map_err(|error| StartupError::Passwords(error.to_string()))?;
        let state = AppState {
            db: db.clone(),
            leptos_options,
            passwords: Arc::new(passwords),
        };
        let router = router::build(
            state,
            &RouterSettings {
                public_url: public_url.clone(),
                body_limit_bytes: config.body_limit_bytes,
                assets_hashed,
            },
        );
        spawn_session_purge(DbSessionStore::new(db));
        Ok(Self {
            listener,
            router,
            addr,
            public_url,
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn public_url(&self) -> &Url {
        &self.public_url
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        tracing::info!(address = %self.addr, public_url = %self.public_url, "listening");
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Expired sessions are refused on load; this removes their rows.
fn spawn_session_purge(store: DbSessionStore) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            match store.purge_expired(time::OffsetDateTime::now_utc()).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired sessions purged"),
                Err(error) => tracing::warn!(%error, "session purge failed"),
            }
        }
    });
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
