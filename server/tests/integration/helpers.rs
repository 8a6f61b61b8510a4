use ledgerlock_app::ssr::clock::Clock;
use ledgerlock_server::{Application, Config};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Client, Response, redirect};
use sea_orm::DatabaseConnection;
use sea_orm::{ConnectionTrait, Database};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    /// The billing clock: the system's, or (from [`TestApp::spawn_at`]) one
    /// the test moves with `clock.set`.
    pub clock: Clock,
    pub base: String,
    pub client: Client,
    pub database_url: String,
    pub outbox: PathBuf,
    _data_dir: TempDir,
}

/// Everything every app in this test process logged, with the production
/// log filter: tests assert that no secret ever appears in it.
pub fn captured_logs() -> String {
    let buffer = log_buffer();
    let bytes = buffer.lock().map(|bytes| bytes.clone()).unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = Arc::new(Mutex::new(Vec::new()));
            let writer = LogWriter(buffer.clone());
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(
                    ledgerlock_server::telemetry::DEFAULT_FILTER,
                ))
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .try_init();
            buffer
        })
        .clone()
}

#[derive(Clone)]
struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(data);
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A fresh database: a file in the test's own directory, or a new PostgreSQL
/// database on the server named by `LEDGERLOCK_TEST_POSTGRES_URL`.
async fn fresh_database(data_dir: &TempDir) -> String {
    match std::env::var("LEDGERLOCK_TEST_DATABASE").as_deref() {
        Ok("postgres") => {
            let admin_url = std::env::var("LEDGERLOCK_TEST_POSTGRES_URL")
                .expect("LEDGERLOCK_TEST_POSTGRES_URL must be set to run on PostgreSQL");
            let name = format!("ledgerlock_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("PostgreSQL must be reachable for the PostgreSQL run");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            admin.close().await.unwrap();
            let mut url = url::Url::parse(&admin_url).unwrap();
            url.set_path(&name);
            url.to_string()
        }
        Ok("sqlite") | Err(_) => format!(
            "sqlite://{}?mode=rwc",
            data_dir.path().join("test.db").display()
        ),
        Ok(other) => panic!("unknown LEDGERLOCK_TEST_DATABASE {other:?}"),
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Starts the app with extra `LEDGERLOCK_*` settings.
    pub async fn spawn_with(settings: &[(&str, &str)]) -> Self {
        Self::spawn_configured(settings, Clock::system()).await
    }

    /// Starts the app with its billing clock reading `at` (it runs on from
    /// there; `clock.set` moves it).
    pub async fn spawn_at(at: time::OffsetDateTime) -> Self {
        Self::spawn_configured(&[], Clock::starting_at(at)).await
    }

    async fn spawn_configured(settings: &[(&str, &str)], clock: Clock) -> Self {
        log_buffer();
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(&data_dir).await;
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LEDGERLOCK_ADDR".into(), "127.0.0.1:0".into()),
            (
                "LEDGERLOCK_DATA_DIR".into(),
                data_dir.path().display().to_string(),
            ),
            ("LEDGERLOCK_DATABASE_URL".into(), database_url.clone()),
            // Every test signs up from 127.0.0.1; the budget has its own test.
            (
                "LEDGERLOCK_SIGN_UPS_PER_CLIENT_PER_HOUR".into(),
                "1000000".into(),
            ),
        ]);
        for (name, value) in settings {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }
        let mut config = Config::from_sources(None, |name| vars.get(name).cloned()).unwrap();
        config.clock = clock.clone();
        let app = Application::build(config).await.expect("the app starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            clock,
            base,
            client,
            database_url,
            outbox: data_dir.path().join("outbox"),
            _data_dir: data_dir,
        }
    }

    /// Starts another instance of the app on this one's database and data
    /// directory (keys, outbox), with extra settings; answers its base URL.
    /// A restart is this, after the first instance stopped serving.
    pub async fn another_instance(&self, settings: &[(&str, &str)]) -> String {
        let data_dir = self.outbox.parent().unwrap().display().to_string();
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LEDGERLOCK_ADDR".into(), "127.0.0.1:0".into()),
            ("LEDGERLOCK_DATA_DIR".into(), data_dir),
            ("LEDGERLOCK_DATABASE_URL".into(), self.database_url.clone()),
        ]);
        for (name, value) in settings {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }
        let mut config = Config::from_sources(None, |name| vars.get(name).cloned()).unwrap();
        config.clock = self.clock.clone();
        let app = Application::build(config).await.expect("the app starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        base
    }

    pub async fn db(&self) -> DatabaseConnection {
        sea_orm::Database::connect(&self.database_url)
            .await
            .unwrap()
    }

    /// The messages sent to `to` so far, oldest first (bodies decoded).
    pub fn mail_to(&self, to: &str) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.outbox) else {
            return Vec::new();
        };
        let mut messages: Vec<(std::time::SystemTime, String)> = entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            .filter_map(|entry| {
                let modified = entry.metadata().ok()?.modified().ok()?;
                let text = decode_quoted_printable(&std::fs::read_to_string(entry.path()).ok()?);
                text.contains(&format!("To: {to}"))
                    .then_some((modified, text))
            })
            .collect();
        messages.sort();
        messages.into_iter().map(|(_, text)| text).collect()
    }

    /// Waits (mail is sent in the background) for a message to `to` whose
    /// Subject header contains `subject`.
    pub async fn wait_for_mail(&self, to: &str, subject: &str) -> String {
        self.wait_for_mail_where(to, |message| {
            message
                .lines()
                .find(|line| line.starts_with("Subject:"))
                .is_some_and(|line| line.contains(subject))
        })
        .await
    }

    /// Waits up to 5 s for the newest message to `to` that `wanted` accepts.
    pub async fn wait_for_mail_where(&self, to: &str, wanted: impl Fn(&str) -> bool) -> String {
        for _ in 0..100 {
            if let Some(message) = self
                .mail_to(to)
                .into_iter()
                .rev()
                .find(|message| wanted(message))
            {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such mail to {to}");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Calls a server function the way the hydrated page does.
    pub async fn call(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(endpoint))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .body(encode_form(form));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Calls a server function that takes JSON (the passkey ceremonies).
    pub async fn call_json(
        &self,
        endpoint: &str,
        body: &serde_json::Value,
        cookie: Option<&str>,
    ) -> Response {
        let mut request = self
            .client
            .post(self.url(endpoint))
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body.to_string());
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// The origin browsers see: the default public URL of a loopback listener.
    pub fn origin(&self) -> url::Url {
        url::Url::parse(&self.base.replace("127.0.0.1", "localhost")).unwrap()
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Signs up a new owner whose address is confirmed (as if they had
    /// opened the emailed link; that flow has its own tests) and returns
    /// their session cookie (`name=value`).
    pub async fn sign_up(&self, email: &str) -> String {
        let cookie = self.sign_up_unconfirmed(email).await;
        self.confirm_address(email).await;
        cookie
    }

    /// Marks `email`'s address confirmed, as opening the emailed link would.
    async fn confirm_address(&self, email: &str) {
        use ledgerlock_app::ssr::entities::user;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        user::Entity::update_many()
            .col_expr(
                user::Column::EmailVerifiedAt,
                Expr::value(time::OffsetDateTime::now_utc()),
            )
            .filter(user::Column::EmailLookup.eq(email.to_lowercase()))
            .exec(&self.db().await)
            .await
            .unwrap();
    }

    /// Signs up a new owner, address not confirmed yet; answers the cookie.
    pub async fn sign_up_unconfirmed(&self, email: &str) -> String {
        self.sign_up_from(email, "").await
    }

    /// Signs up a new owner (address confirmed) whose browser reports the
    /// IANA zone `time_zone`; answers the cookie.
    pub async fn sign_up_in_zone(&self, email: &str, time_zone: &str) -> String {
        let cookie = self.sign_up_from(email, time_zone).await;
        self.confirm_address(email).await;
        cookie
    }

    async fn sign_up_from(&self, email: &str, time_zone: &str) -> String {
        let response = self
            .call(
                "/api/auth/sign_up",
                &[
                    ("name", "Ana López"),
                    ("email", email),
                    ("password", PASSWORD),
                    ("organization", "Acme Trading"),
                    ("time_zone", time_zone),
                ],
                None,
            )
            .await;
        assert_eq!(
            response.status(),
            200,
            "sign-up failed: {}",
            response.text().await.unwrap()
        );
        session_cookie(response.headers()).expect("sign-up sets a session cookie")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.call(
            "/api/auth/sign_in",
            &[("email", email), ("password", password)],
            None,
        )
        .await
    }
}

/// Enough of RFC 2045 quoted-printable for the messages we send.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::with_capacity(joined.len());
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The token in the reset link of a message.
pub fn reset_token(message: &str) -> String {
    let start = message.find("token=").expect("a reset link") + "token=".len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub fn encode_form(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(key, value)| format!("{}={}", urlencode(key), urlencode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The full `Set-Cookie` line of the session cookie, if the response sets one.
pub fn session_set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.contains("ledgerlock_session="))
        .map(str::to_owned)
}

/// `name=value` of the session cookie, as a browser would send it back.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    session_set_cookie(headers).and_then(|line| line.split(';').next().map(str::to_owned))
}

pub fn unique_email() -> String {
    format!("owner-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// Rewrites the sign-in data of every stored session, as time passing would.
pub async fn edit_sessions(
    app: &TestApp,
    edit: impl Fn(&mut ledgerlock_app::ssr::auth::SessionAuth),
) {
    use ledgerlock_app::ssr::auth::{AUTH_KEY, SessionAuth};
    use ledgerlock_app::ssr::entities::session;
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let db = app.db().await;
    for row in session::Entity::find().all(&db).await.unwrap() {
        let mut data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data).unwrap();
        if let Some(auth) = data.get(AUTH_KEY) {
            let mut auth: SessionAuth = serde_json::from_value(auth.clone()).unwrap();
            edit(&mut auth);
            data.insert(AUTH_KEY.to_owned(), serde_json::to_value(auth).unwrap());
        }
        let mut active = row.into_active_model();
        active.data = Set(serde_json::to_string(&data).unwrap());
        active.update(&db).await.unwrap();
    }
}

/// Adds a second person (an accountant) to the owner's organization.
pub async fn add_member(app: &TestApp, owner_email: &str) -> (String, String) {
    add_member_as(app, owner_email, "accountant").await
}

/// Adds a person with `role` to the owner's organization, writing the
/// membership directly (the invitation flow has its own tests), dated so
/// that the member's sign-in picks this organization.
pub async fn add_member_as(app: &TestApp, owner_email: &str, role: &str) -> (String, String) {
    use ledgerlock_app::ssr::entities::{membership, user};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
    let db = app.db().await;
    let owner = user::Entity::find()
        .filter(user::Column::EmailLookup.eq(owner_email.to_lowercase()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let organization_id = membership::Entity::find()
        .filter(membership::Column::UserId.eq(owner.id))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let member_email = unique_email();
    app.sign_up(&member_email).await;
    let member = user::Entity::find()
        .filter(user::Column::EmailLookup.eq(member_email.clone()))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    membership::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        organization_id: Set(organization_id),
        user_id: Set(member.id),
        role: Set(role.into()),
        custom_role_id: Set(None),
        limited_to_customers: Set(false),
        created_at: Set(time::OffsetDateTime::now_utc() - time::Duration::days(1)),
    }
    .insert(&db)
    .await
    .unwrap();
    let cookie = session_cookie(app.sign_in(&member_email, PASSWORD).await.headers()).unwrap();
    (member_email, cookie)
}

/// Runs `ledgerlock demo-data` for the organization of `owner` (an email
/// address signed up on `app`): `customers` customers and `invoices` sealed,
/// numbered invoices over the last two years.
pub fn demo_data(app: &TestApp, owner: &str, customers: u32, invoices: u32) {
    let data = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ledgerlock"))
        .args([
            "demo-data",
            "--owner",
            owner,
            "--customers",
            &customers.to_string(),
            "--invoices",
            &invoices.to_string(),
        ])
        .env("LEDGERLOCK_DATA_DIR", data.path())
        .env("LEDGERLOCK_DATABASE_URL", &app.database_url)
        .env_remove("LEDGERLOCK_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}
