//! Emails the prepared admin digest to the admins.

use std::collections::BTreeMap;

use switchyard_runtime::prelude::*;

/// Who receives the digest.
const ADMINS: &str = "admins@example.com";

/// The fields of `admin/digest.prepared` that the email shows; amounts in euro cents.
#[derive(Debug, Deserialize)]
pub struct PreparedDigest {
    pub period: String,
    pub counts: BTreeMap<String, usize>,
    pub revenue_cents: i64,
    pub refunds_cents: i64,
    pub net_cents: i64,
    pub top_customers: Vec<RankedCustomer>,
}

/// One line of the top customers table.
#[derive(Debug, Deserialize)]
pub struct RankedCustomer {
    pub name: String,
    pub revenue_cents: i64,
}

/// Emails the digest.
pub struct SendAdminDigestEmail;

impl Function for SendAdminDigestEmail {
    type Event = PreparedDigest;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "send-admin-digest-email",
        name: "Email the admin digest",
        triggers: &[Trigger::event("admin/digest.prepared")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<PreparedDigest>) -> Result<Value> {
        let digest = &ctx.event.data;
        let body = ctx
            .step
            .run("render-email", || async { Ok(render(digest)) })
            .await?;

        let subject = format!("Admin digest: {}", digest.period);
        ctx.step
            .run("send-email", || async {
                ctx.outbox.deliver(Delivery::email(ADMINS, &subject, &body));
                Ok(())
            })
            .await?;

        Ok(json!({ "to": ADMINS, "subject": subject, "lines": body.lines().count() }))
    }
}

/// The plain-text email: activity counts, money totals and the top customers.
fn render(digest: &PreparedDigest) -> String {
    if digest.counts.is_empty() {
        return "A quiet period: no activity was recorded.".to_owned();
    }
    let mut lines = vec!["Activity:".to_owned()];
    for (kind, count) in &digest.counts {
        lines.push(format!("  {kind}: {count}"));
    }
    lines.push(format!("Revenue: {}", euros(digest.revenue_cents)));
    lines.push(format!("Refunds: {}", euros(digest.refunds_cents)));
    lines.push(format!("Net: {}", euros(digest.net_cents)));

    lines.push("Top customers:".to_owned());
    for (rank, customer) in digest.top_customers.iter().enumerate() {
        lines.push(format!(
            "  {}. {}: {}",
            rank + 1,
            customer.name,
            euros(customer.revenue_cents)
        ));
    }
    lines.join("\n")
}

/// Formats euro cents as `-12.34 EUR`.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02} EUR", cents.abs() / 100, cents.abs() % 100)
}
