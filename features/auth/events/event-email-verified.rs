//! Confirms a verified email, lists what the user's plan unlocks, and sends tips three days later.

use switchyard_runtime::prelude::*;

/// The data of `auth/user.email-verified`.
#[derive(Debug, Deserialize)]
pub struct VerifiedUser {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub plan: Plan,
}

/// The subscription plan of the user.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    Pro,
    Team,
}

impl Plan {
    /// What verifying the email unlocks on this plan.
    fn unlocked(self) -> Vec<String> {
        let mut features = vec!["support tickets", "bookings"];
        if matches!(self, Plan::Pro | Plan::Team) {
            features.push("invoice export");
        }
        if matches!(self, Plan::Team) {
            features.push("shared inbox");
        }
        features.into_iter().map(String::from).collect()
    }
}

/// Confirms the verification and follows up with tips.
pub struct EmailVerified;

impl Function for EmailVerified {
    type Event = VerifiedUser;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "email-verified",
        name: "Confirm a verified email",
        triggers: &[Trigger::event("auth/user.email-verified")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<VerifiedUser>) -> Result<Value> {
        let user = &ctx.event.data;
        let unlocked = ctx
            .step
            .run("list-unlocked-features", || async {
                Ok(user.plan.unlocked())
            })
            .await?;

        ctx.step
            .run("send-confirmation", || async {
                let body = format!(
                    "Hi {}, your email is verified. You can now use: {}.",
                    user.name,
                    unlocked.join(", ")
                );
                ctx.outbox
                    .deliver(Delivery::email(&user.email, "Email verified", body));
                Ok(())
            })
            .await?;

        ctx.step
            .sleep("wait-three-days", Duration::from_secs(3 * 24 * 3600))
            .await?;

        ctx.step
            .run("send-tips", || async {
                let first = unlocked.last().map_or("the app", String::as_str);
                let body = format!(
                    "Hi {}, a tip to start: open {first} from the menu.",
                    user.name
                );
                ctx.outbox
                    .deliver(Delivery::email(&user.email, "Getting started", body));
                Ok(())
            })
            .await?;

        Ok(json!({ "user_id": user.user_id, "unlocked": unlocked, "tips_sent": true }))
    }
}
