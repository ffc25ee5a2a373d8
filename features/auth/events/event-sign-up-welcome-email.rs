//! Welcomes a new user by email once they sign up.

use switchyard_runtime::prelude::*;

/// The data of `auth/user.signed-up`.
#[derive(Debug, Deserialize)]
pub struct SignedUp {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

/// Sends the welcome email.
pub struct SignUpWelcomeEmail;

impl Function for SignUpWelcomeEmail {
    type Event = SignedUp;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "sign-up-welcome-email",
        name: "Send the welcome email",
        triggers: &[Trigger::event("auth/user.signed-up")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<SignedUp>) -> Result<Value> {
        let user = &ctx.event.data;
        if !user.email.contains('@') {
            let message = format!(
                "user {} signed up with invalid email `{}`",
                user.user_id, user.email
            );
            return Err(Error::non_retriable(message));
        }

        let body = ctx
            .step
            .run("render-email", || async {
                let first_name = user.name.split_whitespace().next().unwrap_or("there");
                Ok(format!(
                    "Hi {first_name}, welcome aboard!\n\n\
                     Please confirm your address so we can keep your account safe."
                ))
            })
            .await?;

        ctx.step
            .run("send-email", || async {
                ctx.outbox
                    .deliver(Delivery::email(&user.email, "Welcome!", &body));
                Ok(())
            })
            .await?;

        Ok(json!({ "user_id": user.user_id, "sent": true }))
    }
}
