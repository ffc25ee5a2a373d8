//! Welcomes a new user by email once they sign up.

use switchyard_runtime::prelude::*;

/// The data of `auth/user.signed-up`.
#[derive(Debug, Deserialize)]
pub struct SignedUp {
    pub user_id: String,
    pub email: String,
    pub name: String,
}

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
        let body = ctx
            .step
            .run("render-email", || async {
                Ok(format!("Hi {}, welcome aboard!", user.name))
            })
            .await?;
        ctx.step
            .run("send-email", || async {
                ctx.outbox.deliver(Delivery::email(&user.email, "Welcome!", &body));
                Ok(())
            })
            .await?;
        Ok(json!({ "user_id": user.user_id, "sent": true }))
    }
}
