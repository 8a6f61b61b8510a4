use ledgerlock_server::{Application, Config};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Client, Response, redirect};
use sea_orm::{ConnectionTrait, Database};
use std::collections::HashMap;
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub database_url: String,
    _data_dir: TempDir,
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
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = fresh_database(&data_dir).await;
        let mut vars: HashMap<String, String> = HashMap::from([
            ("LEDGERLOCK_ADDR".into(), "127.0.0.1:0".into()),
            (
                "LEDGERLOCK_DATA_DIR".into(),
                data_dir.path().display().to_string(),
            ),
            ("LEDGERLOCK_DATABASE_URL".into(), database_url.clone()),
        ]);
        for (name, value) in settings {
            vars.insert((*name).to_owned(), (*value).to_owned());
        }
        let config = Config::from_sources(None, |name| vars.get(name).cloned()).unwrap();
        let app = Application::build(config).await.expect("the app starts");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until(std::future::pending()));
        let client = Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            base,
            client,
            database_url,
            _data_dir: data_dir,
        }
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

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Signs up a new owner and returns their session cookie (`name=value`).
    pub async fn sign_up(&self, email: &str) -> String {
        let response = self
            .call(
                "/api/auth/sign_up",
                &[
                    ("name", "Ana López"),
                    ("email", email),
                    ("password", PASSWORD),
                    ("organization", "Acme Trading"),
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
