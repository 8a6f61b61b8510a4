use crate::helpers::TestApp;

#[tokio::test]
async fn liveness_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let live = app.get("/healthz", None).await;
    assert_eq!(live.status(), 200);
    assert_eq!(live.text().await.unwrap(), "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.text().await.unwrap(), "ready");
}

#[tokio::test]
async fn every_response_has_a_request_id_and_honours_a_given_one() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "probe-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "probe-123");
    let fresh = app.get("/healthz", None).await;
    assert_eq!(fresh.headers()["x-request-id"].to_str().unwrap().len(), 36);
}

#[tokio::test]
async fn the_landing_page_is_served_signed_out() {
    let app = TestApp::spawn().await;
    let response = app.get("/", None).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains("Create an account"));
    assert!(
        html.contains("/pkg/ledgerlock"),
        "the hydration scripts are linked"
    );
}

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    if !app.database_url.starts_with("sqlite") {
        return; // PostgreSQL has no such settings.
    }
    let db = ledgerlock_app::ssr::db::connect(&app.database_url)
        .await
        .unwrap();
    let pragma = |name: &'static str| {
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("PRAGMA {name}"),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert!(pragma("busy_timeout").await.parse::<i64>().unwrap() >= 1000);
}

#[tokio::test]
async fn responses_are_compressed_for_clients_that_accept_it() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/sign-in"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "gzip");
}
