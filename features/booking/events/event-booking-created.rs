//! Holds a new booking until its payment arrives, confirming it then or releasing it on timeout;
//! a `booking/booking.cancelled` event for the booking ends the hold.

use switchyard_runtime::prelude::*;

/// The data of `booking/booking.created`.
#[derive(Debug, Deserialize)]
pub struct Booking {
    pub booking_id: String,
    pub customer: Customer,
    /// What is booked, such as a meeting room.
    pub resource: String,
    /// Unix seconds.
    pub starts_at: i64,
    /// Unix seconds.
    pub ends_at: i64,
    pub amount_cents: i64,
    pub currency: String,
    /// How long the booking is held without payment.
    pub hold_minutes: u64,
}

/// Who booked.
#[derive(Debug, Serialize, Deserialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
}

/// The data of `booking/payment.confirmed`, which `payment-processed` sends.
#[derive(Debug, Deserialize)]
pub struct PaymentConfirmed {
    pub payment_id: String,
    /// Unix seconds.
    pub paid_at: i64,
}

/// Holds the booking until it is paid.
pub struct BookingCreated;

impl Function for BookingCreated {
    type Event = Booking;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "booking-created",
        name: "Hold a booking until it is paid",
        triggers: &[Trigger::event("booking/booking.created")],
        retries: Some(3),
        // One hold at a time per resource, so two bookings cannot grab the same slot.
        concurrency: Some(Concurrency::keyed(1, "event.data.resource")),
        // A customer who cancels while the hold waits for payment ends the hold at once.
        cancel_on: &[Cancel::event_if(
            "booking/booking.cancelled",
            "async.data.booking_id == event.data.booking_id",
        )],
    };

    async fn run(ctx: Context<Booking>) -> Result<Value> {
        let booking = &ctx.event.data;
        if booking.ends_at <= booking.starts_at {
            let message = format!("booking {} ends before it starts", booking.booking_id);
            return Err(Error::non_retriable(message));
        }
        let amount = money(booking.amount_cents, &booking.currency);

        ctx.step
            .run("send-hold-notice", || async {
                let subject = format!("Booking {}: please pay to confirm", booking.booking_id);
                let body = format!(
                    "Hi {}, we hold {} for you for {} minutes. Pay {amount} to confirm it.",
                    booking.customer.name, booking.resource, booking.hold_minutes
                );
                ctx.outbox
                    .deliver(Delivery::email(&booking.customer.email, subject, body));
                Ok(())
            })
            .await?;

        let wait = WaitForEvent {
            event: "booking/payment.confirmed",
            timeout: Duration::from_secs(booking.hold_minutes * 60),
            if_expr: Some("async.data.booking_id == event.data.booking_id"),
        };
        let payment = ctx
            .step
            .wait_for_event::<PaymentConfirmed>("wait-for-payment", wait)
            .await?;

        let Some(payment) = payment else {
            ctx.step
                .run("release-hold", || async {
                    let subject = format!("Booking {} expired", booking.booking_id);
                    let body = format!(
                        "Hi {}, we did not receive {amount} in time, so {} is free again.",
                        booking.customer.name, booking.resource
                    );
                    ctx.outbox
                        .deliver(Delivery::email(&booking.customer.email, subject, body));
                    Ok(())
                })
                .await?;
            return Ok(json!({ "booking_id": booking.booking_id, "status": "expired" }));
        };

        let confirmed = Event::new(
            "booking/booking.confirmed",
            json!({
                "booking_id": booking.booking_id,
                "customer": booking.customer,
                "resource": booking.resource,
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "payment_id": payment.data.payment_id,
                "confirmed_at": payment.data.paid_at,
            }),
        );
        ctx.step
            .send_event("confirm-booking", vec![confirmed])
            .await?;

        Ok(json!({ "booking_id": booking.booking_id, "status": "confirmed" }))
    }
}

/// Formats cents as `12.34 EUR`.
fn money(cents: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", cents / 100, cents % 100)
}
