//! Configuration: environment variables over an optional TOML file over defaults.

use ledgerlock_app::ssr::clock::Clock;
use ledgerlock_app::ssr::services::mail_budgets::MailBudgets;
use ledgerlock_app::ssr::stripe::StripeEndpoints;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use url::Url;

/// One setting was wrong; the message names it as the user would set it.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    fn new(setting: &'static str, message: impl Into<String>) -> Self {
        Self {
            setting,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub data_dir: PathBuf,
    /// The base URL users reach; `None` means "http://" + the bound address.
    pub public_url: Option<Url>,
    pub log_format: LogFormat,
    /// Where the built site (pkg/, favicon…) lives.
    pub site_root: PathBuf,
    pub body_limit_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    pub session_idle_minutes: NonZeroU32,
    pub session_max_hours: NonZeroU32,
    /// Sign-in, sign-up and reset attempts per client address per minute.
    pub auth_rate_per_minute: NonZeroU32,
    /// Budgets for mail that anyone can trigger.
    pub mail_budgets: MailBudgets,
    /// `smtps://…` or `smtp://…`; without it mail goes to the outbox directory.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub outbox_dir: PathBuf,
    /// The key file for secrets at rest (created on first start if missing).
    pub secret_key_file: PathBuf,
    /// Mailed every report of a suspicious document (RFC 9116's "Contact",
    /// as an address).
    pub security_contact: Option<String>,
    /// Fonts the operator adds to the front of the PDF fonts' fallback chain.
    pub font_dir: Option<PathBuf>,
    /// Stripe's API and Stripe.js (`LEDGERLOCK_STRIPE_API_URL`,
    /// `LEDGERLOCK_STRIPE_JS_URL`): Stripe's own unless the tests point
    /// them at an emulator.
    pub stripe: StripeEndpoints,
    /// The time of billing: the system clock; integration tests put a
    /// fixed one here (there is no setting for it).
    pub clock: Clock,
}

/// The optional TOML file: the same settings, lower-case, without the prefix.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    addr: Option<String>,
    database_url: Option<String>,
    data_dir: Option<String>,
    public_url: Option<String>,
    log_format: Option<String>,
    site_root: Option<String>,
    body_limit_bytes: Option<usize>,
    trusted_proxies: Option<String>,
    session_idle_minutes: Option<u32>,
    session_max_hours: Option<u32>,
    auth_rate_per_minute: Option<u32>,
    reset_mails_per_address_per_hour: Option<u32>,
    invitations_per_organization_per_day: Option<u32>,
    invitations_per_address_per_day: Option<u32>,
    sign_ups_per_client_per_hour: Option<u32>,
    documents_per_organization_per_day: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    outbox_dir: Option<String>,
    secret_key_file: Option<String>,
    font_dir: Option<String>,
    security_contact: Option<String>,
    stripe_api_url: Option<String>,
    stripe_js_url: Option<String>,
}

const DEFAULT_ADDR: &str = "127.0.0.1:3000";
const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

impl Config {
    /// Reads the process environment and, if given, the TOML file.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_sources(file, |name| std::env::var(name).ok())
    }

    /// `env` looks up one variable; tests pass a map instead of the process environment.
    pub fn from_sources(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file = match file {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let pick = |name: &str, from_file: Option<String>| {
            env(name).filter(|v| !v.is_empty()).or(from_file)
        };

        let addr_text = pick("LEDGERLOCK_ADDR", file.addr).unwrap_or_else(|| DEFAULT_ADDR.into());
        let addr = addr_text.parse::<SocketAddr>().map_err(|_| {
            ConfigError::new(
                "LEDGERLOCK_ADDR",
                format!("{addr_text:?} is not an address like 127.0.0.1:3000"),
            )
        })?;

        let data_dir = PathBuf::from(
            pick("LEDGERLOCK_DATA_DIR", file.data_dir).unwrap_or_else(|| "data".into()),
        );

        let database_url = match pick("LEDGERLOCK_DATABASE_URL", file.database_url) {
            Some(url) => check_database_url(&url)?,
            None => format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("ledgerlock.db").display()
            ),
        };

        let public_url = pick("LEDGERLOCK_PUBLIC_URL", file.public_url)
            .map(|text| check_public_url(&text))
            .transpose()?;

        let log_format = match pick("LEDGERLOCK_LOG_FORMAT", file.log_format).as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "LEDGERLOCK_LOG_FORMAT",
                    format!("{other:?} is not one of: human, json"),
                ));
            }
        };

        let site_root = pick("LEDGERLOCK_SITE_ROOT", file.site_root)
            .map(PathBuf::from)
            .unwrap_or_else(default_site_root);

        let body_limit_bytes = match env("LEDGERLOCK_BODY_LIMIT_BYTES").filter(|v| !v.is_empty()) {
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or_else(|| {
                    ConfigError::new(
                        "LEDGERLOCK_BODY_LIMIT_BYTES",
                        "must be a whole number of bytes, at least 1024",
                    )
                })?,
            None => file.body_limit_bytes.unwrap_or(DEFAULT_BODY_LIMIT),
        };
        let count = |name: &'static str, from_file: Option<u32>, default: u32| {
            let value = match env(name).filter(|v| !v.is_empty()) {
                Some(text) => text.parse::<u32>().ok(),
                None => Some(from_file.unwrap_or(default)),
            };
            value
                .and_then(NonZeroU32::new)
                .ok_or_else(|| ConfigError::new(name, "must be a whole number greater than 0"))
        };
        let defaults = MailBudgets::default();
        let trusted_proxies = pick("LEDGERLOCK_TRUSTED_PROXIES", file.trusted_proxies)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpAddr>().map_err(|_| {
                    ConfigError::new(
                        "LEDGERLOCK_TRUSTED_PROXIES",
                        format!("{part:?} is not an IP address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let smtp_url = pick("LEDGERLOCK_SMTP_URL", file.smtp_url);
        if let Some(url) = &smtp_url {
            let usable = Url::parse(url).is_ok_and(|url| {
                matches!(url.scheme(), "smtp" | "smtps") && url.host_str().is_some()
            });
            if !usable {
                return Err(ConfigError::new(
                    "LEDGERLOCK_SMTP_URL",
                    "must look like smtps://user:password@host:465",
                ));
            }
        }
        let outbox_dir = pick("LEDGERLOCK_OUTBOX_DIR", file.outbox_dir)
            .map_or_else(|| data_dir.join("outbox"), PathBuf::from);
        let secret_key_file = pick("LEDGERLOCK_SECRET_KEY_FILE", file.secret_key_file)
            .map_or_else(|| data_dir.join("secret.key"), PathBuf::from);

        let security_contact = pick("LEDGERLOCK_SECURITY_CONTACT", file.security_contact)
            .map(|text| {
                ledgerlock_app::domain::Email::parse(&text)
                    .map(|email| email.as_str().to_owned())
                    .map_err(|_| {
                        ConfigError::new(
                            "LEDGERLOCK_SECURITY_CONTACT",
                            format!("{text:?} is not an email address"),
                        )
                    })
            })
            .transpose()?;

        let stripe_url = |name: &'static str, from_file: Option<String>, default: String| {
            let text = pick(name, from_file).unwrap_or(default);
            match Url::parse(&text) {
                Ok(url) if matches!(url.scheme(), "https" | "http") && url.host_str().is_some() => {
                    Ok(text.trim_end_matches('/').to_owned())
                }
                _ => Err(ConfigError::new(
                    name,
                    format!("{text:?} is not an http(s) URL"),
                )),
            }
        };
        let defaults_stripe = StripeEndpoints::default();
        let stripe = StripeEndpoints {
            api: stripe_url(
                "LEDGERLOCK_STRIPE_API_URL",
                file.stripe_api_url,
                defaults_stripe.api,
            )?,
            // Stripe.js is loaded by this exact URL (with its slash).
            js: stripe_url(
                "LEDGERLOCK_STRIPE_JS_URL",
                file.stripe_js_url,
                defaults_stripe.js,
            )
            .map(|url| format!("{url}/"))?,
        };

        Ok(Self {
            stripe,
            addr,
            database_url,
            data_dir,
            public_url,
            log_format,
            site_root,
            body_limit_bytes,
            trusted_proxies,
            session_idle_minutes: count(
                "LEDGERLOCK_SESSION_IDLE_MINUTES",
                file.session_idle_minutes,
                30,
            )?,
            session_max_hours: count("LEDGERLOCK_SESSION_MAX_HOURS", file.session_max_hours, 12)?,
            auth_rate_per_minute: count(
                "LEDGERLOCK_AUTH_RATE_PER_MINUTE",
                file.auth_rate_per_minute,
                10,
            )?,
            mail_budgets: MailBudgets {
                reset_mails_per_address_per_hour: count(
                    "LEDGERLOCK_RESET_MAILS_PER_ADDRESS_PER_HOUR",
                    file.reset_mails_per_address_per_hour,
                    defaults.reset_mails_per_address_per_hour,
                )?
                .get(),
                invitations_per_organization_per_day: count(
                    "LEDGERLOCK_INVITATIONS_PER_ORGANIZATION_PER_DAY",
                    file.invitations_per_organization_per_day,
                    defaults.invitations_per_organization_per_day,
                )?
                .get(),
                invitations_per_address_per_day: count(
                    "LEDGERLOCK_INVITATIONS_PER_ADDRESS_PER_DAY",
                    file.invitations_per_address_per_day,
                    defaults.invitations_per_address_per_day,
                )?
                .get(),
                sign_ups_per_client_per_hour: count(
                    "LEDGERLOCK_SIGN_UPS_PER_CLIENT_PER_HOUR",
                    file.sign_ups_per_client_per_hour,
                    defaults.sign_ups_per_client_per_hour,
                )?
                .get(),
                documents_per_organization_per_day: count(
                    "LEDGERLOCK_DOCUMENTS_PER_ORGANIZATION_PER_DAY",
                    file.documents_per_organization_per_day,
                    defaults.documents_per_organization_per_day,
                )?
                .get(),
            },
            smtp_url,
            mail_from: pick("LEDGERLOCK_MAIL_FROM", file.mail_from)
                .unwrap_or_else(|| "Ledgerlock <ledgerlock@localhost>".to_owned()),
            outbox_dir,
            secret_key_file,
            font_dir: pick("LEDGERLOCK_FONT_DIR", file.font_dir).map(PathBuf::from),
            security_contact,
            clock: Clock::system(),
        })
    }

    /// Creates the data directory if needed and proves it is writable.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        let fail = |error: std::io::Error| {
            ConfigError::new(
                "LEDGERLOCK_DATA_DIR",
                format!(
                    "{} is not a writable directory ({error})",
                    self.data_dir.display()
                ),
            )
        };
        std::fs::create_dir_all(&self.data_dir).map_err(fail)?;
        let probe = self.data_dir.join(".write-test");
        std::fs::write(&probe, b"ok").map_err(fail)?;
        std::fs::remove_file(&probe).map_err(fail)
    }
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new(
            "LEDGERLOCK_CONFIG",
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    toml::from_str(&text).map_err(|e| {
        ConfigError::new(
            "LEDGERLOCK_CONFIG",
            format!("{} is not valid: {}", path.display(), e.message()),
        )
    })
}

fn check_database_url(text: &str) -> Result<String, ConfigError> {
    let setting = "LEDGERLOCK_DATABASE_URL";
    let url = Url::parse(text)
        .map_err(|e| ConfigError::new(setting, format!("not a valid URL ({e})")))?;
    match url.scheme() {
        "sqlite" => Ok(text.to_owned()),
        "postgres" | "postgresql" if url.host_str().is_some() => Ok(text.to_owned()),
        "postgres" | "postgresql" => {
            Err(ConfigError::new(setting, "a postgres:// URL needs a host"))
        }
        other => Err(ConfigError::new(
            setting,
            format!("unsupported scheme {other:?}: use sqlite:// or postgres://"),
        )),
    }
}

fn check_public_url(text: &str) -> Result<Url, ConfigError> {
    let setting = "LEDGERLOCK_PUBLIC_URL";
    let url = Url::parse(text)
        .map_err(|e| ConfigError::new(setting, format!("not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            setting,
            "must be an http:// or https:// URL with a host",
        ));
    }
    if url.path() != "/" || url.query().is_some() {
        return Err(ConfigError::new(
            setting,
            "must be a bare origin such as https://billing.example.com",
        ));
    }
    Ok(url)
}

/// cargo-leptos puts the binary in `target/<profile>/` and the site in
/// `target/site/`; an installed copy keeps `site/` beside the binary.
fn default_site_root() -> PathBuf {
    let exe_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_default();
    [exe_dir.join("site"), exe_dir.join("../site")]
        .into_iter()
        .find(|candidate| candidate.join("pkg").is_dir())
        .unwrap_or_else(|| exe_dir.join("site"))
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(text: &str) -> String {
    match Url::parse(text) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("[redacted]"));
            url.to_string()
        }
        Ok(_) => text.to_owned(),
        Err(_) => "[unparseable URL]".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_sources(None, |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_serve_locally_with_sqlite_under_data() {
        let config = load(&[]).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.database_url, "sqlite://data/ledgerlock.db?mode=rwc");
        assert_eq!(config.log_format, LogFormat::Human);
        assert_eq!(config.body_limit_bytes, 1024 * 1024);
        assert!(config.public_url.is_none());
        assert!(config.trusted_proxies.is_empty());
        assert_eq!(config.session_idle_minutes.get(), 30);
        assert_eq!(config.session_max_hours.get(), 12);
        assert_eq!(config.outbox_dir, PathBuf::from("data/outbox"));
        assert!(config.smtp_url.is_none());
    }

    #[test]
    fn each_bad_setting_is_named() {
        for (name, value) in [
            ("LEDGERLOCK_ADDR", "localhost"),
            ("LEDGERLOCK_DATABASE_URL", "mysql://db/x"),
            ("LEDGERLOCK_DATABASE_URL", "not a url"),
            ("LEDGERLOCK_PUBLIC_URL", "ftp://example.com"),
            ("LEDGERLOCK_PUBLIC_URL", "https://example.com/app"),
            ("LEDGERLOCK_LOG_FORMAT", "xml"),
            ("LEDGERLOCK_BODY_LIMIT_BYTES", "-1"),
            ("LEDGERLOCK_TRUSTED_PROXIES", "10.0.0.1, proxy.local"),
            ("LEDGERLOCK_SESSION_IDLE_MINUTES", "0"),
            ("LEDGERLOCK_AUTH_RATE_PER_MINUTE", "many"),
            ("LEDGERLOCK_SMTP_URL", "http://mail.example.com"),
        ] {
            let error = load(&[(name, value)]).unwrap_err();
            assert_eq!(error.setting, name, "{value}");
            assert!(error.to_string().starts_with(name));
        }
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledgerlock.toml");
        std::fs::write(&path, "addr = \"127.0.0.1:4000\"\nlog_format = \"json\"\n").unwrap();
        let config = Config::from_sources(Some(&path), |name| {
            (name == "LEDGERLOCK_ADDR").then(|| "127.0.0.1:5000".to_owned())
        })
        .unwrap();
        assert_eq!(config.addr.port(), 5000);
        assert_eq!(config.log_format, LogFormat::Json);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledgerlock.toml");
        std::fs::write(&path, "adress = \"x\"\n").unwrap();
        let error = Config::from_sources(Some(&path), |_| None).unwrap_err();
        assert_eq!(error.setting, "LEDGERLOCK_CONFIG");
    }

    #[test]
    fn passwords_are_redacted_from_database_urls() {
        let shown = redact_url("postgres://app:hunter2@db:5432/ledgerlock");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("db:5432"));
    }
}
