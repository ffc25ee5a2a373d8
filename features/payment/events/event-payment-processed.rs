//! Checks a payment against its items, emails the receipt, and confirms the booking it paid for.

use switchyard_runtime::prelude::*;

/// The data of `payment/payment.processed`.
#[derive(Debug, Deserialize)]
pub struct Payment {
    pub payment_id: String,
    pub customer: Customer,
    pub amount_cents: i64,
    pub currency: String,
    pub items: Vec<Item>,
    /// The booking this payment is for, if any.
    #[serde(default)]
    pub booking_id: Option<String>,
    /// Unix seconds.
    pub paid_at: i64,
}

/// Who paid.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// One line of the order.
#[derive(Debug, Deserialize)]
pub struct Item {
    pub description: String,
    pub quantity: u32,
    pub unit_price_cents: i64,
}

/// Sends the receipt, one run per customer at a time.
pub struct PaymentProcessed;

impl Function for PaymentProcessed {
    type Event = Payment;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "payment-processed",
        name: "Send the receipt of a payment",
        triggers: &[Trigger::event("payment/payment.processed")],
        retries: Some(5),
        concurrency: Some(Concurrency::keyed(1, "event.data.customer.id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Payment>) -> Result<Value> {
        let payment = &ctx.event.data;
        let price = |cents: i64| money(cents, &payment.currency);

        let lines = ctx
            .step
            .run("check-total", || async {
                let mut lines = Vec::new();
                let mut total = 0;
                for item in &payment.items {
                    let cost = item.unit_price_cents * i64::from(item.quantity);
                    total += cost;
                    lines.push(format!(
                        "{} x {}: {}",
                        item.quantity,
                        item.description,
                        price(cost)
                    ));
                }
                if total != payment.amount_cents {
                    let message = format!(
                        "payment {} charged {} but its items total {}",
                        payment.payment_id,
                        price(payment.amount_cents),
                        price(total)
                    );
                    return Err(Error::non_retriable(message));
                }
                Ok(lines)
            })
            .await?;

        ctx.step
            .run("send-receipt", || async {
                let subject = format!("Receipt for payment {}", payment.payment_id);
                let body = format!(
                    "Hi {}, thank you for your payment.\n\n{}\nTotal: {}",
                    payment.customer.name,
                    lines.join("\n"),
                    price(payment.amount_cents)
                );
                ctx.outbox
                    .deliver(Delivery::email(&payment.customer.email, subject, body));
                Ok(())
            })
            .await?;

        if let Some(booking_id) = &payment.booking_id {
            let confirmed = Event::new(
                "booking/payment.confirmed",
                json!({
                    "booking_id": booking_id,
                    "payment_id": payment.payment_id,
                    "amount_cents": payment.amount_cents,
                    "paid_at": payment.paid_at,
                }),
            );
            ctx.step
                .send_event("confirm-booking-payment", vec![confirmed])
                .await?;
        }

        Ok(json!({
            "payment_id": payment.payment_id,
            "total_cents": payment.amount_cents,
            "receipt_lines": lines,
            "booking_id": payment.booking_id,
        }))
    }
}

/// Formats cents as `12.34 EUR`.
fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
}
