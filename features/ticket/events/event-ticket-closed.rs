//! Tells the customer how their ticket was resolved, then asks for feedback a day later.

use switchyard_runtime::prelude::*;

/// The data of `ticket/ticket.closed`.
#[derive(Debug, Deserialize)]
pub struct ClosedTicket {
    pub ticket_id: String,
    pub subject: String,
    pub customer_name: String,
    pub customer_email: String,
    pub resolution: String,
    /// Unix seconds.
    pub opened_at: i64,
    /// Unix seconds.
    pub closed_at: i64,
}

/// Reports the resolution and asks for feedback.
pub struct TicketClosed;

impl Function for TicketClosed {
    type Event = ClosedTicket;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "ticket-closed",
        name: "Report a resolution and ask for feedback",
        triggers: &[Trigger::event("ticket/ticket.closed")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<ClosedTicket>) -> Result<Value> {
        let ticket = &ctx.event.data;
        if ticket.closed_at < ticket.opened_at {
            let message = format!("ticket {} is closed before it was opened", ticket.ticket_id);
            return Err(Error::non_retriable(message));
        }

        let minutes = ctx
            .step
            .run("measure-resolution", || async {
                Ok((ticket.closed_at - ticket.opened_at) / 60)
            })
            .await?;

        ctx.step
            .run("send-resolution", || async {
                let subject = format!("[{}] Resolved: {}", ticket.ticket_id, ticket.subject);
                let body = format!(
                    "Hi {}, we resolved your request in {}.\n\n{}",
                    ticket.customer_name,
                    span(minutes),
                    ticket.resolution
                );
                ctx.outbox
                    .deliver(Delivery::email(&ticket.customer_email, subject, body));
                Ok(())
            })
            .await?;

        ctx.step
            .sleep("wait-before-survey", Duration::from_secs(24 * 3600))
            .await?;

        ctx.step
            .run("send-survey", || async {
                let subject = format!("[{}] How did we do?", ticket.ticket_id);
                let link = format!("https://support.example.com/survey/{}", ticket.ticket_id);
                let body = format!(
                    "Hi {}, rate our help in one click: {link}",
                    ticket.customer_name
                );
                ctx.outbox
                    .deliver(Delivery::email(&ticket.customer_email, subject, body));
                Ok(())
            })
            .await?;

        Ok(json!({
            "ticket_id": ticket.ticket_id,
            "resolution_minutes": minutes,
            "survey_sent": true,
        }))
    }
}

/// Renders minutes as `1d 2h 15m`, or `2h 15m` under a day.
fn span(minutes: i64) -> String {
    let (days, hours, minutes) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    if days > 0 {
        format!("{days}d {hours}h {minutes}m")
    } else {
        format!("{hours}h {minutes}m")
    }
}
