//! Outgoing mail: SMTP when configured, otherwise one `.eml` file per message
//! in an outbox directory (the default, and what tests read).
//!
//! Messages are sent in the background, so a request takes the same time
//! whether or not it sent mail (a reset request must not reveal whether the
//! address has an account). Logs name the kind of message, never its body.

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;

#[derive(Clone)]
enum Transport {
    Outbox(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("LEDGERLOCK_SMTP_URL: {0}")]
    Smtp(String),
    #[error("LEDGERLOCK_MAIL_FROM: {0}")]
    From(String),
    #[error("outbox directory {0}: {1}")]
    Outbox(String, std::io::Error),
}

/// A message ready to send: who to, subject and plain-text body.
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// For the log: which kind of message this is ("password_reset"…).
    pub kind: &'static str,
}

impl Mailer {
    pub fn outbox(dir: PathBuf, from: &str) -> Result<Self, MailSetupError> {
        std::fs::create_dir_all(&dir)
            .map_err(|error| MailSetupError::Outbox(dir.display().to_string(), error))?;
        Ok(Self {
            transport: Transport::Outbox(AsyncFileTransport::new(dir)),
            from: parse_from(from)?,
        })
    }

    /// `smtps://user:password@host:465` (implicit TLS) or
    /// `smtp://user:password@host:587` (STARTTLS, required).
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailSetupError> {
        let parsed =
            url::Url::parse(url).map_err(|error| MailSetupError::Smtp(error.to_string()))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| MailSetupError::Smtp("the URL needs a host".into()))?;
        let builder = match parsed.scheme() {
            "smtps" => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
            "smtp" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
            other => {
                return Err(MailSetupError::Smtp(format!(
                    "unsupported scheme {other:?}"
                )));
            }
        }
        .map_err(|error| MailSetupError::Smtp(error.to_string()))?;
        let mut builder = builder;
        if let Some(port) = parsed.port() {
            builder = builder.port(port);
        }
        if !parsed.username().is_empty() {
            builder = builder.credentials(Credentials::new(
                parsed.username().to_owned(),
                parsed.password().unwrap_or_default().to_owned(),
            ));
        }
        Ok(Self {
            transport: Transport::Smtp(builder.build()),
            from: parse_from(from)?,
        })
    }

    /// Sends in the background; failures are logged.
    pub fn send_later(&self, mail: Mail) {
        let mailer = self.clone();
        tokio::spawn(async move {
            let kind = mail.kind;
            match mailer.send(mail).await {
                Ok(()) => tracing::info!(kind, "mail sent"),
                Err(error) => tracing::error!(kind, %error, "mail could not be sent"),
            }
        });
    }

    /// A complete RFC 5322 message from this instance's sender to `to`:
    /// `body` as plain text, and `attachment` (file name, PDF bytes) if any.
    ///
    /// # Errors
    /// `to` is not an address, or the message cannot be built.
    pub fn compose(
        &self,
        to: &str,
        subject: &str,
        body: String,
        attachment: Option<(String, Vec<u8>)>,
    ) -> Result<Vec<u8>, String> {
        use lettre::message::{Attachment, MultiPart, SinglePart, header::ContentType};
        let to: Mailbox = to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject);
        let message = match attachment {
            None => builder.body(body),
            Some((name, bytes)) => builder.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body))
                    .singlepart(Attachment::new(name).body(
                        bytes,
                        ContentType::parse("application/pdf").map_err(|e| e.to_string())?,
                    )),
            ),
        }
        .map_err(|error| error.to_string())?;
        Ok(message.formatted())
    }

    /// Sends a message made by [`Self::compose`] to `to`.
    ///
    /// # Errors
    /// The transport's error, as text (it names no secret: the SMTP URL's
    /// password is not part of it).
    pub async fn send_raw(&self, to: &str, message: &[u8]) -> Result<(), String> {
        let to: lettre::Address = to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let envelope = lettre::address::Envelope::new(Some(self.from.email.clone()), vec![to])
            .map_err(|error| error.to_string())?;
        match &self.transport {
            Transport::Outbox(transport) => transport
                .send_raw(&envelope, message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Smtp(transport) => transport
                .send_raw(&envelope, message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }

    pub async fn send(&self, mail: Mail) -> Result<(), String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| e.to_string())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .body(mail.body)
            .map_err(|error| error.to_string())?;
        match &self.transport {
            Transport::Outbox(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Transport::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
        }
    }
}

fn parse_from(from: &str) -> Result<Mailbox, MailSetupError> {
    from.parse()
        .map_err(|error: lettre::address::AddressError| MailSetupError::From(error.to_string()))
}
