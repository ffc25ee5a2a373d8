//! Tells the customer why a payment failed and when it is retried, suspending after the last try.

use switchyard_runtime::prelude::*;

/// Days to wait before charging again after the first, second and third failure.
const RETRY_AFTER_DAYS: [u64; 3] = [1, 3, 5];

/// The data of `payment/payment.failed`.
#[derive(Debug, Deserialize)]
pub struct FailedPayment {
    pub payment_id: String,
    pub customer: Customer,
    pub amount_cents: i64,
    pub currency: String,
    /// Why the card was refused: `card_declined`, `insufficient_funds`, `expired_card`, ...
    pub failure_code: String,
    /// Which charge failed, starting at 1.
    pub attempt: u32,
}

/// Who was charged.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// Handles a failed charge.
pub struct PaymentFailed;

impl Function for PaymentFailed {
    type Event = FailedPayment;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "payment-failed",
        name: "Handle a failed payment",
        triggers: &[Trigger::event("payment/payment.failed")],
        retries: Some(5),
        concurrency: Some(Concurrency::keyed(1, "event.data.customer.id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<FailedPayment>) -> Result<Value> {
        let payment = &ctx.event.data;
        let Some(index) = payment.attempt.checked_sub(1) else {
            let message = format!(
                "payment {} reports attempt 0; attempts start at 1",
                payment.payment_id
            );
            return Err(Error::non_retriable(message));
        };
        let amount = money(payment.amount_cents, &payment.currency);

        let retry_in_days = ctx
            .step
            .run("plan-next-attempt", || async {
                Ok(RETRY_AFTER_DAYS.get(index as usize).copied())
            })
            .await?;

        ctx.step
            .run("notify-customer", || async {
                let next = match retry_in_days {
                    Some(1) => "We will try again tomorrow.".to_owned(),
                    Some(days) => format!("We will try again in {days} days."),
                    None => "Your subscription is suspended until you update your card.".to_owned(),
                };
                let body = format!(
                    "Hi {}, we could not charge {amount}: {}. {next}",
                    payment.customer.name,
                    explain(&payment.failure_code)
                );
                ctx.outbox.deliver(Delivery::email(
                    &payment.customer.email,
                    "Your payment failed",
                    body,
                ));
                Ok(())
            })
            .await?;

        let suspended = retry_in_days.is_none();
        if suspended {
            ctx.step
                .run("alert-billing", || async {
                    let subject = format!("{} suspended", payment.customer.id);
                    let body = format!(
                        "Payment {} of {amount} failed {} times ({}).",
                        payment.payment_id, payment.attempt, payment.failure_code
                    );
                    ctx.outbox.deliver(Delivery::chat("billing", subject, body));
                    Ok(())
                })
                .await?;
        }

        Ok(json!({
            "payment_id": payment.payment_id,
            "retry_in_days": retry_in_days,
            "suspended": suspended,
        }))
    }
}

/// A failure code in words the customer understands.
fn explain(code: &str) -> &'static str {
    match code {
        "card_declined" => "your bank declined the card",
        "insufficient_funds" => "the account has insufficient funds",
        "expired_card" => "the card has expired",
        _ => "the payment could not be processed",
    }
}

/// Formats cents as `12.34 EUR`.
fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
}
