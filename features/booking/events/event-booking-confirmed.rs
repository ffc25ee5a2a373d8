//! Confirms a paid booking and sends a reminder the day before it starts.

use std::time::UNIX_EPOCH;

use switchyard_runtime::prelude::*;

/// How long before the start the reminder goes out, in seconds.
const REMIND_BEFORE: i64 = 24 * 3600;

/// The data of `booking/booking.confirmed`.
#[derive(Debug, Deserialize)]
pub struct ConfirmedBooking {
    pub booking_id: String,
    pub customer: Customer,
    pub resource: String,
    pub payment_id: String,
    /// Unix seconds.
    pub starts_at: i64,
    /// Unix seconds.
    pub ends_at: i64,
    /// Unix seconds.
    pub confirmed_at: i64,
}

/// Who booked.
#[derive(Debug, Deserialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
}

/// Confirms the booking and reminds the customer.
pub struct BookingConfirmed;

impl Function for BookingConfirmed {
    type Event = ConfirmedBooking;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "booking-confirmed",
        name: "Confirm a booking and remind the customer",
        triggers: &[Trigger::event("booking/booking.confirmed")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<ConfirmedBooking>) -> Result<Value> {
        let booking = &ctx.event.data;
        let minutes = (booking.ends_at - booking.starts_at) / 60;
        let length = format!("{}h {:02}m", minutes / 60, minutes % 60);

        ctx.step
            .run("send-confirmation", || async {
                let subject = format!("Booking {} confirmed", booking.booking_id);
                let body = format!(
                    "Hi {}, {} is yours for {length} (payment {}).",
                    booking.customer.name, booking.resource, booking.payment_id
                );
                ctx.outbox
                    .deliver(Delivery::email(&booking.customer.email, subject, body));
                Ok(())
            })
            .await?;

        let remind_at = booking.starts_at - REMIND_BEFORE;
        let reminded = remind_at > booking.confirmed_at;
        if reminded {
            let until = UNIX_EPOCH + Duration::from_secs(remind_at.max(0) as u64);
            ctx.step.sleep_until("wait-for-reminder", until).await?;

            ctx.step
                .run("send-reminder", || async {
                    let subject = format!("Reminder: {} tomorrow", booking.resource);
                    let body = format!(
                        "Hi {}, {} is booked for you tomorrow, for {length}.",
                        booking.customer.name, booking.resource
                    );
                    ctx.outbox
                        .deliver(Delivery::email(&booking.customer.email, subject, body));
                    Ok(())
                })
                .await?;
        }

        Ok(json!({ "booking_id": booking.booking_id, "minutes": minutes, "reminded": reminded }))
    }
}
