//! Emails a password reset link that expires, naming where the request came from.

use switchyard_runtime::prelude::*;

/// The data of `auth/password.reset-requested`.
#[derive(Debug, Deserialize)]
pub struct ResetRequested {
    pub user_id: String,
    pub email: String,
    pub token: String,
    pub expires_in_minutes: u32,
    pub ip: String,
}

/// Sends the reset link, one request per user at a time.
pub struct PasswordReset;

impl Function for PasswordReset {
    type Event = ResetRequested;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "password-reset",
        name: "Send the password reset link",
        triggers: &[Trigger::event("auth/password.reset-requested")],
        retries: Some(2),
        concurrency: Some(Concurrency::keyed(1, "event.data.user_id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<ResetRequested>) -> Result<Value> {
        let request = &ctx.event.data;
        if request.token.trim().is_empty() {
            let message = format!(
                "password reset for user {} has an empty token",
                request.user_id
            );
            return Err(Error::non_retriable(message));
        }

        let link = ctx
            .step
            .run("build-reset-link", || async {
                Ok(format!(
                    "https://app.example.com/reset-password?token={}",
                    request.token
                ))
            })
            .await?;

        ctx.step
            .run("send-email", || async {
                let body = format!(
                    "Someone at {} asked to reset your password.\n\
                     Choose a new one within {} minutes: {link}\n\
                     If it was not you, ignore this email.",
                    request.ip, request.expires_in_minutes
                );
                ctx.outbox
                    .deliver(Delivery::email(&request.email, "Reset your password", body));
                Ok(())
            })
            .await?;

        Ok(json!({ "user_id": request.user_id, "link": link }))
    }
}
