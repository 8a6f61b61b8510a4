//! The benchmark's baseline: a bare axum handler answering with fixed bytes
//! (the landing page as Ledgerlock rendered it). `make bench` runs it beside
//! the real server; the ratio of their throughput is the cost of rendering
//! and middleware. Usage: bare_landing <address> <file>
#![allow(clippy::expect_used)]

use axum::Router;
use axum::response::Html;
use axum::routing::get;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().expect("an address such as 127.0.0.1:3201");
    let body: &'static str = Box::leak(
        std::fs::read_to_string(args.next().expect("a file with the page"))
            .expect("a readable file")
            .into_boxed_str(),
    );
    let app = Router::new().route("/", get(move || async move { Html(body) }));
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .expect("a free address");
    axum::serve(listener, app).await.expect("serving");
}
