//! Part 2: an ended session never comes back.

use super::*;

// ---- 2. An ended session never comes back ----------------------------------

#[tokio::test]
async fn ending_the_current_session_through_the_api_signs_it_out() {
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let sessions = list_sessions(&app, &cookie).await;
    let id = sessions[0]["id"].as_str().unwrap();
    let ended = app
        .call("/api/sessions/end", &[("id", id)], Some(&cookie))
        .await;
    assert_eq!(ended.status(), 200);
    assert_eq!(me(&app, &cookie).await, "null");
    assert_eq!(
        app.call("/api/sessions/list", &[], Some(&cookie))
            .await
            .status(),
        401
    );
}

/// Fires requests with `cookie` (and with any new cookie a response gives
/// it, as a browser would) until `stop`, including step-ups, which give the
/// session a new id. Answers every cookie it held and each request's status
/// with whether it started after `changed` was set.
async fn hammer(
    app: Arc<TestApp>,
    cookie: String,
    changed: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) -> (Vec<String>, Vec<(bool, u16)>) {
    let mut cookies = vec![cookie.clone()];
    let mut current = cookie;
    let mut seen = Vec::new();
    let mut round = 0_u32;
    while !stop.load(Ordering::SeqCst) {
        let after = changed.load(Ordering::SeqCst);
        let response = if round.is_multiple_of(3) {
            app.call(
                "/api/auth/confirm_identity",
                &[("password", PASSWORD)],
                Some(&current),
            )
            .await
        } else {
            app.call("/api/sessions/list", &[], Some(&current)).await
        };
        round += 1;
        seen.push((after, response.status().as_u16()));
        if let Some(next) = session_cookie(response.headers()) {
            cookies.push(next.clone());
            current = next;
        }
    }
    (cookies, seen)
}

/// Runs `change` while four loops hammer with `stolen`; then checks that no
/// request started after the change got anything but 401, and that none of
/// the cookies the loops held works or is listed.
async fn revocation_holds_under_fire<F, Fut>(app: TestApp, stolen: String, change: F)
where
    F: FnOnce(Arc<TestApp>) -> Fut,
    Fut: std::future::Future<Output = String>,
{
    let app = Arc::new(app);
    let changed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut loops = JoinSet::new();
    for _ in 0..4 {
        loops.spawn(hammer(
            app.clone(),
            stolen.clone(),
            changed.clone(),
            stop.clone(),
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let survivor = change(app.clone()).await;
    changed.store(true, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut held = Vec::new();
    while let Some(result) = loops.join_next().await {
        let (cookies, seen) = result.unwrap();
        let after: Vec<u16> = seen
            .iter()
            .filter(|(after, _)| *after)
            .map(|(_, status)| *status)
            .collect();
        assert!(!after.is_empty(), "the loop kept firing after the change");
        assert!(
            after.iter().all(|status| *status == 401),
            "after the change: {after:?}"
        );
        held.extend(cookies);
    }
    for cookie in &held {
        assert_eq!(me(&app, cookie).await, "null", "{cookie} still works");
    }
    let listed = list_sessions(&app, &survivor).await;
    assert_eq!(listed.len(), 1, "only the survivor is listed: {listed:?}");
    assert_eq!(listed[0]["is_current"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_change_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        let changed = app
            .call(
                "/api/auth/change_password",
                &[
                    ("current_password", PASSWORD),
                    ("new_password", NEW_PASSWORD),
                ],
                Some(&owner),
            )
            .await;
        assert_eq!(changed.status(), 200);
        session_cookie(changed.headers()).expect("the changer's session gets a new id")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn signing_out_all_others_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        let ended = app
            .call("/api/sessions/end_others", &[], Some(&owner))
            .await;
        assert_eq!(ended.status(), 200);
        session_cookie(ended.headers()).expect("the caller's session gets a new id")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_password_reset_ends_a_stolen_session_with_requests_in_flight() {
    let app = spawn().await;
    let email = unique_email();
    app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    revocation_holds_under_fire(app, stolen, |app| async move {
        reset_by_mail(&app, &email, NEW_PASSWORD).await;
        session_cookie(app.sign_in(&email, NEW_PASSWORD).await.headers()).unwrap()
    })
    .await;
}

#[tokio::test]
async fn a_pending_sign_in_ends_when_the_password_changes_or_is_reset() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    // Someone who knows the password reaches the second step...
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    // ...and the owner changes the password.
    let changed = app
        .call(
            "/api/auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(changed.status(), 200);
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(answered.status(), 422);
    assert!(answered.text().await.unwrap().contains("Sign in again"));

    // The same for a reset.
    let pending = password_step(&app, &enrolled.email, NEW_PASSWORD).await;
    reset_by_mail(&app, &enrolled.email, PASSWORD).await;
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, -30)).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &pending).await, "null");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stolen_session_cannot_dodge_its_end_by_changing_its_id() {
    let app = spawn().await;
    let email = unique_email();
    let owner = app.sign_up(&email).await;
    let stolen = session_cookie(app.sign_in(&email, PASSWORD).await.headers()).unwrap();
    // The handle the owner sees stays the same when the thief's id changes.
    let listed = list_sessions(&app, &owner).await;
    let handle = listed
        .iter()
        .find(|session| session["is_current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rotated = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&stolen),
        )
        .await;
    let rotated = session_cookie(rotated.headers()).unwrap();
    assert_ne!(rotated, stolen);
    assert!(
        list_sessions(&app, &owner)
            .await
            .iter()
            .any(|session| session["id"] == handle.as_str())
    );
    // And ending it holds while the thief keeps rotating.
    revocation_holds_under_fire(app, rotated, |app| async move {
        let ended = app
            .call("/api/sessions/end", &[("id", &handle)], Some(&owner))
            .await;
        assert_eq!(ended.status(), 200);
        owner
    })
    .await;
}
