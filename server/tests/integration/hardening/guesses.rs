//! Part 3: guess limits hold under concurrency and across endpoints.

use super::*;

// ---- 3. Guess limits hold under concurrency --------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_passwords_are_twenty_failures_and_lock() {
    let app = Arc::new(spawn().await);
    let email = unique_email();
    app.sign_up(&email).await;
    let mut guesses = JoinSet::new();
    for n in 0..20 {
        let app = app.clone();
        let email = email.clone();
        guesses.spawn(async move {
            app.sign_in(&email, &format!("wrong guess number {n}"))
                .await
                .status()
        });
    }
    while let Some(status) = guesses.join_next().await {
        assert_eq!(status.unwrap(), 401);
    }
    let account = user_by_email(&app, &email).await;
    assert_eq!(account.failed_sign_ins, 20);
    assert!(account.locked_until.unwrap() > OffsetDateTime::now_utc());
    // The lock holds against the right password.
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401);
    app.wait_for_mail(&email, "locked").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let lock_mails = app
        .mail_to(&email)
        .iter()
        .filter(|message| message.contains("is locked"))
        .count();
    assert_eq!(lock_mails, 1, "one notice per account and window");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_parallel_wrong_codes_on_one_pending_sign_in_are_all_counted() {
    let app = Arc::new(spawn().await);
    let enrolled = enrol(&app).await;
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    let mut guesses = JoinSet::new();
    for n in 0..20 {
        let app = app.clone();
        let pending = pending.clone();
        guesses.spawn(async move {
            verify(&app, &pending, &format!("{:06}", 111_111 + n))
                .await
                .status()
        });
    }
    while let Some(status) = guesses.join_next().await {
        assert_eq!(status.unwrap(), 422);
    }
    let account = user_by_email(&app, &enrolled.email).await;
    assert_eq!(account.failed_second_steps, 20);
    assert!(account.locked_until.unwrap() > OffsetDateTime::now_utc());

    // The sixth and later are refused: the right code on that pending
    // sign-in, the right password, and so a right code after it.
    assert_eq!(
        verify(&app, &pending, &code_at(&enrolled.secret, 30))
            .await
            .status(),
        422
    );
    assert_eq!(app.sign_in(&enrolled.email, PASSWORD).await.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let warnings = app
        .mail_to(&enrolled.email)
        .iter()
        .filter(|message| message.contains("failed at the second step"))
        .count();
    assert_eq!(warnings, 1, "one warning per account and window");
}

#[tokio::test]
async fn a_right_password_does_not_clear_the_count_before_the_second_step() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    for _ in 0..4 {
        assert_eq!(
            app.sign_in(&enrolled.email, "wrong guess number x")
                .await
                .status(),
            401
        );
    }
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_sign_ins,
        4
    );
    // The fifth wrong password locks, and the pending sign-in's right code
    // is refused.
    assert_eq!(
        app.sign_in(&enrolled.email, "wrong guess number y")
            .await
            .status(),
        401
    );
    let answered = verify(&app, &pending, &code_at(&enrolled.secret, 30)).await;
    assert_eq!(answered.status(), 422);
    assert_eq!(me(&app, &pending).await, "null");
}

#[tokio::test]
async fn step_up_guesses_are_counted_and_lock() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    for guess in ["000000", "wrong password 1", "111111", "wrong password 2"] {
        let field = if guess.len() == 6 { "code" } else { "password" };
        let response = app
            .call(
                "/api/auth/confirm_identity",
                &[(field, guess)],
                Some(&enrolled.cookie),
            )
            .await;
        assert_eq!(response.status(), 422);
    }
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_step_ups,
        4
    );
    // A success clears the step-up count...
    let confirmed = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&enrolled.cookie),
        )
        .await;
    assert_eq!(confirmed.status(), 200);
    let cookie = session_cookie(confirmed.headers()).unwrap();
    assert_eq!(
        user_by_email(&app, &enrolled.email).await.failed_step_ups,
        0
    );
    // ...and five failures in a row lock even the right password out.
    for _ in 0..5 {
        app.call(
            "/api/auth/confirm_identity",
            &[("password", "wrong password 3")],
            Some(&cookie),
        )
        .await;
    }
    let refused = app
        .call(
            "/api/auth/confirm_identity",
            &[("password", PASSWORD)],
            Some(&cookie),
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
    assert_eq!(app.sign_in(&enrolled.email, PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn registering_a_passkey_still_works_for_its_own_account() {
    // The binding does not get in the way of the ordinary flow.
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    let mut device = Device::new(&app);
    assert_eq!(
        register(&app, &cookie, &mut device, "Laptop")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_password_reset_does_not_lift_a_lock_earned_by_guessing_codes() {
    let app = spawn().await;
    let enrolled = enrol(&app).await;
    let pending = password_step(&app, &enrolled.email, PASSWORD).await;
    for _ in 0..5 {
        assert_eq!(verify(&app, &pending, "000000").await.status(), 422);
    }
    reset_by_mail(&app, &enrolled.email, NEW_PASSWORD).await;
    // Knowing the mailbox (and so a new password) buys no more code guesses.
    assert_eq!(
        app.sign_in(&enrolled.email, NEW_PASSWORD).await.status(),
        401
    );
    assert!(
        user_by_email(&app, &enrolled.email)
            .await
            .locked_until
            .unwrap()
            > OffsetDateTime::now_utc()
    );
}

#[tokio::test]
async fn the_current_password_of_a_change_is_a_counted_guess() {
    let app = spawn().await;
    let email = unique_email();
    let cookie = app.sign_up(&email).await;
    for _ in 0..5 {
        let refused = app
            .call(
                "/api/auth/change_password",
                &[
                    ("current_password", "wrong password guess"),
                    ("new_password", NEW_PASSWORD),
                ],
                Some(&cookie),
            )
            .await;
        assert_eq!(refused.status(), 422);
    }
    assert_eq!(user_by_email(&app, &email).await.failed_step_ups, 5);
    // Locked: the right current password cannot change it (nor lift the lock).
    let locked = app
        .call(
            "/api/auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", NEW_PASSWORD),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(locked.status(), 422);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed attempts")
    );
    assert_eq!(app.sign_in(&email, PASSWORD).await.status(), 401);
    assert_eq!(app.sign_in(&email, NEW_PASSWORD).await.status(), 401);
}
