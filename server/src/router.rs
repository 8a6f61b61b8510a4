//! The routes and the middleware stack around them.

use crate::middleware::{
    account_binding, client_address, cross_site, rate_limit, security_headers, sign_in_gate,
};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use http::header::{CACHE_CONTROL, HeaderValue, VARY};
use http::{HeaderName, Request};
use ledgerlock_app::ssr::AppState;
use ledgerlock_app::ssr::errors::REQUEST_ID_HEADER;
use ledgerlock_app::ssr::{card_payment_pages, portal_pages, portal_session_pages};
use ledgerlock_app::{App, shell};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;
use url::Url;

use ledgerlock_app::ssr::session_store::DbSessionStore;

pub struct RouterSettings {
    pub public_url: Url,
    pub body_limit_bytes: usize,
    pub assets_hashed: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub auth_rate_limit: std::sync::Arc<rate_limit::AuthRateLimit>,
}

pub fn build(state: AppState, settings: &RouterSettings) -> Router {
    let https = settings.public_url.scheme() == "https";
    let session_policy = state.settings.sessions;
    let gate_state = state.clone();
    let leptos_options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let context_state = state.clone();
    let provide_state = move || provide_context(context_state.clone());

    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    // Hashed file names change with their content, so they can be cached
    // for good; an answer that is not the file (a 404 while instances of two
    // versions run side by side) must not be.
    let asset_cache = HeaderValue::from_static(if settings.assets_hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    let assets = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            CACHE_CONTROL,
            move |response: &http::Response<_>| {
                // 304 revalidates the stored file: its headers replace the
                // stored ones, so it keeps the file's.
                let status = response.status();
                Some(
                    if status.is_success() || status == StatusCode::NOT_MODIFIED {
                        asset_cache.clone()
                    } else {
                        HeaderValue::from_static("no-store")
                    },
                )
            },
        ))
        // The same answer differs by the client's encodings: shared caches
        // must keep them apart.
        .layer(SetResponseHeaderLayer::appending(
            VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        // `.ci/build.sh` compresses every file once, at the highest levels
        // (brotli 11: WASM about 15 % smaller than gzip 9, measured
        // 2026-12-01), which the compression layer cannot afford per
        // request; no CPU per request either.
        .service(
            ServeDir::new(pkg_dir)
                .precompressed_br()
                .precompressed_gzip(),
        );

    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        // The __Host- prefix makes browsers insist on Secure, Path=/ and no
        // Domain; it is only honoured over HTTPS.
        .with_name(if https {
            "__Host-ledgerlock_session"
        } else {
            "ledgerlock_session"
        })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        // A backstop: the row expires when idle even if nothing reads it; the
        // idle and absolute limits themselves are checked on every request.
        .with_expiry(Expiry::OnInactivity(session_policy.idle));

    let request_id = HeaderName::from_static(REQUEST_ID_HEADER);
    let fallback = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
        {
            let state = state.clone();
            move || provide_context(state.clone())
        },
        shell,
    );

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route(
            "/app/export/{file}",
            get(ledgerlock_app::ssr::export::download),
        )
        .route(
            "/app/invoices/{id}/pdf",
            get(ledgerlock_app::ssr::pdf::download),
        )
        .route("/portal/d/{token}", get(portal_pages::document))
        .route("/portal/d/{token}/pdf", get(portal_pages::pdf))
        .route("/portal/d/{token}/renew", post(portal_pages::renew))
        .route("/portal/d/{token}/pay", get(card_payment_pages::pay_page))
        .route(
            "/portal/d/{token}/pay/start",
            post(card_payment_pages::start),
        )
        .route(
            "/portal/d/{token}/pay/confirm",
            post(card_payment_pages::confirm),
        )
        .route(
            "/portal/d/{token}/pay/status",
            get(card_payment_pages::status),
        )
        .route("/webhooks/stripe", post(card_payment_pages::webhook))
        .route("/portal/code", post(portal_session_pages::request_code))
        .route(
            "/portal/code/verify",
            post(portal_session_pages::verify_code),
        )
        .route("/portal/account", get(portal_session_pages::account))
        .route(
            "/portal/account/d/{id}",
            get(portal_session_pages::document),
        )
        .route("/portal/account/d/{id}/pdf", get(portal_session_pages::pdf))
        .route(
            "/portal/account/sign-out",
            post(portal_session_pages::sign_out),
        )
        .route(
            "/report",
            get(portal_pages::report_page).post(portal_pages::report_submit),
        )
        .nest_service("/pkg", assets)
        .leptos_routes_with_context(&state, routes, provide_state, {
            let options = leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(fallback)
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            gate_state,
            sign_in_gate::require_sign_in,
        ))
        .layer(axum::middleware::from_fn(account_binding::bind))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            settings.auth_rate_limit.clone(),
            rate_limit::limit,
        ))
        .layer(axum::middleware::from_fn_with_state(
            cross_site::AllowedOrigin::new(&settings.public_url),
            cross_site::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::new(client_address::TrustedProxies(
                settings.trusted_proxies.clone(),
            )),
            client_address::identify,
        ))
        .layer(
            // Listed outermost first.
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<_>| {
                            let id = request
                                .headers()
                                .get(REQUEST_ID_HEADER)
                                .and_then(|value| value.to_str().ok())
                                .unwrap_or_default();
                            // The path only (query strings may carry tokens),
                            // and a portal link's token replaced.
                            tracing::info_span!(
                                "request",
                                request_id = %id,
                                method = %request.method(),
                                path = %crate::middleware::loggable_path(request.uri().path()),
                            )
                        })
                        .on_response(
                            DefaultOnResponse::new()
                                .level(Level::INFO)
                                .latency_unit(tower_http::LatencyUnit::Millis),
                        ),
                )
                .layer(PropagateRequestIdLayer::new(request_id))
                .layer(CatchPanicLayer::custom(|_| {
                    (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Something went wrong on our side.",
                    )
                        .into_response()
                }))
                .layer(axum::middleware::from_fn_with_state(
                    security_headers::SecurityHeaders::new(https),
                    security_headers::apply,
                ))
                .layer(CompressionLayer::new())
                .layer(RequestBodyLimitLayer::new(settings.body_limit_bytes))
                .layer(tower_http::timeout::TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(60),
                )),
        )
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match ledgerlock_app::ssr::db::ping(&state.db).await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
