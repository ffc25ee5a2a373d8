//! Posts a one-line summary of a non-empty admin digest to the admins' chat webhook.

use switchyard_runtime::prelude::*;

/// The chat webhook that receives the summary.
const WEBHOOK: &str = "admin-digest";

/// The fields of `admin/digest.prepared` that the chat post shows; amounts in euro cents.
#[derive(Debug, Deserialize)]
pub struct DigestSummary {
    pub period: String,
    pub total_events: usize,
    pub net_cents: i64,
    pub top_customers: Vec<Customer>,
}

/// A customer ranked by revenue.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub name: String,
}

/// Posts the digest summary to chat.
pub struct SendAdminDigestChat;

impl Function for SendAdminDigestChat {
    type Event = DigestSummary;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "send-admin-digest-chat",
        name: "Post the admin digest to chat",
        triggers: &[Trigger::event_if(
            "admin/digest.prepared",
            "event.data.total_events > 0",
        )],
        retries: Some(5),
        // The webhook rejects bursts, so posts go out one at a time.
        concurrency: Some(Concurrency::limit(1)),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<DigestSummary>) -> Result<Value> {
        let digest = &ctx.event.data;
        let post = ctx
            .step
            .run("render-post", || async {
                let net = euros(digest.net_cents);
                let top = match digest.top_customers.first() {
                    Some(customer) => format!("; top customer {}", customer.name),
                    None => String::new(),
                };
                Ok(format!("{} events, net {net}{top}", digest.total_events))
            })
            .await?;

        let subject = format!("Digest {}", digest.period);
        ctx.step
            .run("post-to-chat", || async {
                ctx.outbox.deliver(Delivery::chat(WEBHOOK, &subject, &post));
                Ok(())
            })
            .await?;

        Ok(json!({ "webhook": WEBHOOK, "post": post }))
    }
}

/// Formats euro cents as `-12.34 EUR`.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02} EUR", cents.abs() / 100, cents.abs() % 100)
}
