//! The benchmark's baseline: a bare axum handler answering with fixed bytes
//! (the landing page as Ledgerlock rendered it). `make bench` runs it beside
//! the real server; the ratio of their throughput is the cost of rendering
//! and middleware. Usage: bare_landing <address> <file>

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use std::error::Error;

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(file)) = (args.next(), args.next()) else {
        return Err("usage: bare_landing <address> <file>".into());
    };
    let body: &'static str = Box::leak(std::fs::read_to_string(file)?.into_boxed_str());
    let app = Router::new().route("/", get(move || async move { Html(body) }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}
