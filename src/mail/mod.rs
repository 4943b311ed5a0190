//! Outgoing mail: verification and reset links, security notifications. Through SMTP when one
//! is configured, otherwise into an outbox folder of `.eml` files (the embedded default: the
//! newcomer opens the file and clicks the link). Mails are plain text, French then English.

pub mod compose;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, SmtpTls};

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail: {0}")]
    Invalid(String),
    #[error("mail could not be sent: {0}")]
    Send(String),
}

/// A mail to one resident.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

enum Transport {
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::Outbox(_) => "outbox",
            Transport::Smtp(_) => "smtp",
        };
        f.debug_struct("Mailer").field("transport", &kind).finish_non_exhaustive()
    }
}

/// Longest an SMTP exchange may take before the mail is reported as not sent.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, MailError> {
        let from = config.from.parse::<Mailbox>().map_err(|e| MailError::Invalid(format!("mail.from: {e}")))?;
        let transport = match &config.smtp_host {
            None => Transport::Outbox(config.outbox_dir.clone()),
            Some(host) => {
                let builder = match config.smtp_tls {
                    SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
                    SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
                    SmtpTls::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
                }
                .map_err(|e| MailError::Invalid(format!("mail.smtp_host: {e}")))?;
                let mut builder = builder.port(config.smtp_port).timeout(Some(SMTP_TIMEOUT));
                if let (Some(user), Some(password)) = (&config.smtp_username, &config.smtp_password) {
                    builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer { from, transport })
    }

    pub async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to = mail.to.parse::<Mailbox>().map_err(|e| MailError::Invalid(e.to_string()))?;
        // Base64 keeps long links and accents intact through any relay.
        let body = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .header(ContentTransferEncoding::Base64)
            .body(mail.body);
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .singlepart(body)
            .map_err(|e| MailError::Invalid(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| MailError::Send(e.to_string()))?;
                Ok(())
            }
            Transport::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| MailError::Send(e.to_string()))?;
                let path = dir.join(format!("{}.eml", uuid::Uuid::now_v7()));
                tokio::fs::write(&path, message.formatted()).await.map_err(|e| MailError::Send(e.to_string()))?;
                // The path, never the content: the mail holds a secret link.
                tracing::info!(path = %path.display(), "mail written to the outbox");
                Ok(())
            }
        }
    }
}
