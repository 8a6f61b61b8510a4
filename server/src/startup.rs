//! Building and running the application: used by `main` and by the tests.

use crate::config::{Config, ConfigError, redact_url};
use crate::middleware::rate_limit::AuthRateLimit;
use crate::router::{self, RouterSettings};
use axum::Router;
use axum::serve::ListenerExt;
use ledgerlock_app::domain::SessionPolicy;
use ledgerlock_app::ssr::crypto::SecretBox;
use ledgerlock_app::ssr::mail::Mailer;
use ledgerlock_app::ssr::passwords::Passwords;
use ledgerlock_app::ssr::pdf::fonts::FontBook;
use ledgerlock_app::ssr::services::mail_queue::{self, QueueSignal};
use ledgerlock_app::ssr::services::{mail_budgets, passkeys};
use ledgerlock_app::ssr::session_store::DbSessionStore;
use ledgerlock_app::ssr::state::{AppStateParts, Settings};
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
    #[error("{0}")]
    Mail(String),
    #[error("LEDGERLOCK_SECRET_KEY_FILE: {0}")]
    Secrets(String),
    #[error("LEDGERLOCK_FONT_DIR: {0}")]
    Fonts(String),
    #[error("the server stopped: {0}")]
    Serve(String),
    #[error("{0}")]
    Task(String),
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
            None => default_public_url(addr).map_err(|error| StartupError::Listen {
                addr,
                cause: error.to_string(),
            })?,
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
        let mailer = match &config.smtp_url {
            Some(url) => Mailer::smtp(url, &config.mail_from),
            None => Mailer::outbox(config.outbox_dir.clone(), &config.mail_from),
        }
        .map_err(|error| StartupError::Mail(error.to_string()))?;
        let secrets = SecretBox::load_or_create(&config.secret_key_file)
            .map_err(|error| StartupError::Secrets(error.to_string()))?;
        let fonts = FontBook::with_system_fonts(config.font_dir.as_deref())
            .map_err(|error| StartupError::Fonts(error.to_string()))?;
        tracing::info!(chain = ?fonts.describe(), "PDF fonts");
        let settings = Settings {
            public_url: public_url.as_str().trim_end_matches('/').to_owned(),
            sessions: SessionPolicy {
                idle: time::Duration::minutes(i64::from(config.session_idle_minutes.get())),
                absolute: time::Duration::hours(i64::from(config.session_max_hours.get())),
            },
            mail_budgets: config.mail_budgets,
            security_contact: config.security_contact.clone(),
        };
        let state = AppState::new(AppStateParts {
            db: db.clone(),
            leptos_options,
            passwords: Arc::new(passwords),
            mailer,
            settings: Arc::new(settings),
            secrets: Arc::new(secrets),
            webauthn: passkeys::relying_party(&public_url).map(Arc::new),
            clock: config.clock.clone(),
            fonts: Arc::new(fonts),
            mail_queue: QueueSignal::default(),
            stripe: ledgerlock_app::ssr::stripe::StripeApi::new(config.stripe.clone()),
        });
        // Queued mail is sent from here on, including what a previous run
        // left in the queue.
        mail_queue::spawn_sender(
            state.db.clone(),
            state.mailer.clone(),
            state.secrets.clone(),
            state.mail_queue.clone(),
            state.clock.clone(),
            std::time::Duration::from_secs(5),
        );
        let auth_rate_limit = AuthRateLimit::new(config.auth_rate_per_minute);
        let router = router::build(
            state,
            &RouterSettings {
                public_url: public_url.clone(),
                body_limit_bytes: config.body_limit_bytes,
                assets_hashed,
                trusted_proxies: config.trusted_proxies.clone(),
                auth_rate_limit: auth_rate_limit.clone(),
            },
        );
        spawn_housekeeping(DbSessionStore::new(db.clone()), db, auth_rate_limit);
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
        // Pages stream in several chunks; without TCP_NODELAY, Nagle's
        // algorithm meets the client's delayed ACK and each streamed page
        // stalls for tens of milliseconds.
        let listener = self.listener.tap_io(|stream| {
            if let Err(error) = stream.set_nodelay(true) {
                tracing::warn!(%error, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}

/// Every ten minutes: remove expired session rows (they are already refused
/// on load), mail-budget windows long past and spent portal codes and
/// sessions, and forget rate-limit entries of addresses gone quiet.
fn spawn_housekeeping(
    store: DbSessionStore,
    db: DatabaseConnection,
    auth_rate_limit: Arc<AuthRateLimit>,
) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            every.tick().await;
            auth_rate_limit.forget_idle();
            let now = time::OffsetDateTime::now_utc();
            match store.purge_expired(now).await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "expired sessions purged"),
                Err(error) => tracing::warn!(%error, "session purge failed"),
            }
            if let Err(error) = mail_budgets::purge(&db, now).await {
                tracing::warn!(?error, "mail budget purge failed");
            }
            if let Err(error) = ledgerlock_app::ssr::services::portal_access::purge(&db, now).await
            {
                tracing::warn!(?error, "portal code and session purge failed");
            }
        }
    });
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM. The handlers are installed when
/// this is called, not when the future is first polled, so a signal that
/// arrives while the server is still starting is not lost.
#[cfg(unix)]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}

#[cfg(not(unix))]
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing requests in flight");
    })
}

/// Without a configured public URL, a loopback listener is reached as
/// `localhost`: browsers offer passkeys to domain names only, never to IP
/// addresses.
fn default_public_url(addr: SocketAddr) -> Result<Url, url::ParseError> {
    if addr.ip().is_loopback() {
        Url::parse(&format!("http://localhost:{}", addr.port()))
    } else {
        Url::parse(&format!("http://{addr}"))
    }
}
