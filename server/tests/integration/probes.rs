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
