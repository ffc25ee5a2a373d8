//! Decides a refund by amount, reason and days since purchase, opening a review ticket if needed;
//! a refund that cannot be decided goes to a person.

use switchyard_runtime::prelude::*;

/// Refunds above this many cents always go to a person.
const REVIEW_ABOVE_CENTS: i64 = 50_000;

/// The data of `payment/refund.initiated`.
#[derive(Debug, Deserialize)]
pub struct Refund {
    pub refund_id: String,
    pub payment_id: String,
    pub customer: Customer,
    pub amount_cents: i64,
    pub payment_amount_cents: i64,
    pub currency: String,
    pub reason: Reason,
    /// Unix seconds.
    pub purchased_at: i64,
    /// Unix seconds.
    pub requested_at: i64,
}

/// Who asks for the refund.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
    /// Support plan: `free`, `pro` or `enterprise`.
    pub tier: String,
}

/// Why the customer wants their money back.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Duplicate,
    Defective,
    NotAsDescribed,
    ChangedMind,
    Fraud,
}

/// What happens to a refund.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject { why: String },
    Review { why: String },
}

/// What `ticket-created` returns for the review ticket.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewTicket {
    pub ticket_id: String,
    pub response_hours: u64,
}

/// Decides a refund, one run per payment at a time.
pub struct RefundInitiated;

impl Function for RefundInitiated {
    type Event = Refund;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "refund-initiated",
        name: "Decide a refund",
        triggers: &[Trigger::event("payment/refund.initiated")],
        retries: Some(2),
        concurrency: Some(Concurrency::keyed(1, "event.data.payment_id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Refund>) -> Result<Value> {
        let refund = &ctx.event.data;
        if refund.amount_cents <= 0 || refund.amount_cents > refund.payment_amount_cents {
            let message = format!(
                "refund {} of {} does not fit payment {} of {}",
                refund.refund_id,
                money(refund.amount_cents, &refund.currency),
                refund.payment_id,
                money(refund.payment_amount_cents, &refund.currency)
            );
            return Err(Error::non_retriable(message));
        }

        let days = (refund.requested_at - refund.purchased_at) / 86_400;
        let decision = ctx
            .step
            .run("decide", || async { Ok(decide(refund, days)) })
            .await?;

        let name = &refund.customer.name;
        let review_ticket = match &decision {
            Decision::Approve => {
                let amount = money(refund.amount_cents, &refund.currency);
                let body = format!(
                    "Hi {name}, your refund of {amount} is approved. \
                     Expect it within 5 to 10 business days."
                );
                notify(&ctx, &body).await?;
                None
            }
            Decision::Reject { why } => {
                let body = format!("Hi {name}, we cannot refund this purchase: {why}.");
                notify(&ctx, &body).await?;
                None
            }
            Decision::Review { why } => Some(open_review_ticket(&ctx, why).await?),
        };

        Ok(json!({
            "refund_id": refund.refund_id,
            "days_since_purchase": days,
            "decision": decision,
            "review_ticket": review_ticket,
        }))
    }

    /// When a refund cannot be decided, even after retries, hands it to a person: support
    /// hears why, and the customer hears that it will take longer.
    async fn on_failure(ctx: Context<FunctionFailed>) -> Result<Value> {
        let failure = &ctx.event.data;
        let refund = &failure.event.data;
        let refund_id = refund["refund_id"].as_str().unwrap_or("without an id");
        let email = refund["customer"]["email"].as_str();

        ctx.step
            .run("tell-support", || async {
                let subject = format!("Refund {refund_id} needs a person");
                let body = format!(
                    "Deciding it failed ({}): {}",
                    failure.error.name, failure.error.message
                );
                ctx.outbox.deliver(Delivery::chat("support", subject, body));
                Ok(())
            })
            .await?;

        if let Some(email) = email {
            ctx.step
                .run("tell-customer", || async {
                    let subject = format!("Your refund {refund_id}");
                    let body = "We need a little longer to look at your refund; \
                                a person from support will write to you within two days.";
                    ctx.outbox.deliver(Delivery::email(email, subject, body));
                    Ok(())
                })
                .await?;
        }

        Ok(json!({ "refund_id": refund_id, "customer_told": email.is_some() }))
    }
}

/// Applies the refund rules: fraud and large amounts go to a person, other reasons have a
/// window in days after purchase (none for duplicate charges).
fn decide(refund: &Refund, days: i64) -> Decision {
    if matches!(refund.reason, Reason::Fraud) {
        let why = "fraud reports need a person".to_owned();
        return Decision::Review { why };
    }

    let window = match refund.reason {
        Reason::Duplicate | Reason::Fraud => None,
        Reason::Defective | Reason::NotAsDescribed => Some(90),
        Reason::ChangedMind => Some(14),
    };
    if let Some(window) = window.filter(|window| days > *window) {
        let why = format!("it was bought {days} days ago and the limit is {window} days");
        return Decision::Reject { why };
    }

    if refund.amount_cents > REVIEW_ABOVE_CENTS {
        let why = "large amount".to_owned();
        return Decision::Review { why };
    }
    Decision::Approve
}

/// Emails the customer the outcome of their refund.
async fn notify(ctx: &Context<Refund>, body: &str) -> Result<()> {
    let refund = &ctx.event.data;
    ctx.step
        .run("notify-customer", || async {
            let subject = format!("Your refund {}", refund.refund_id);
            ctx.outbox
                .deliver(Delivery::email(&refund.customer.email, subject, body));
            Ok(())
        })
        .await
}

/// Opens a high-priority support ticket for the refund by invoking `ticket-created`.
async fn open_review_ticket(ctx: &Context<Refund>, why: &str) -> Result<ReviewTicket> {
    let refund = &ctx.event.data;
    let amount = money(refund.amount_cents, &refund.currency);
    let ticket = json!({
        "ticket_id": format!("T-{}", refund.refund_id),
        "subject": format!("Refund {} of {amount} needs review: {why}", refund.refund_id),
        "customer_email": refund.customer.email,
        "customer_tier": refund.customer.tier,
        "priority": "high",
        "created_at": refund.requested_at,
    });

    let invoke = Invoke {
        function_id: "ticket-created",
        data: ticket,
        // Longer than the longest a review ticket waits for an assignee (four hours), so the
        // invoke never times out before the ticket run finishes.
        timeout: Some(Duration::from_secs(24 * 3600)),
    };
    ctx.step.invoke("open-review-ticket", invoke).await
}

/// Formats cents as `12.34 EUR`.
fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
}
