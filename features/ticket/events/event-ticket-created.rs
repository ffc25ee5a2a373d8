//! Acknowledges a new ticket with its response deadline and escalates it if nobody takes it.

use switchyard_runtime::prelude::*;

/// The data of `ticket/ticket.created`.
#[derive(Debug, Deserialize)]
pub struct Ticket {
    pub ticket_id: String,
    pub subject: String,
    pub customer_email: String,
    pub customer_tier: Tier,
    pub priority: Priority,
    /// Unix seconds.
    pub created_at: i64,
}

/// The support plan of the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    Free,
    Pro,
    Enterprise,
}

/// How urgent the customer says the ticket is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// The first-response deadline of a ticket.
#[derive(Debug, Serialize, Deserialize)]
pub struct Sla {
    pub response_hours: u64,
    /// Unix seconds.
    pub due_at: i64,
}

/// Acknowledges the ticket and watches its deadline.
pub struct TicketCreated;

impl Function for TicketCreated {
    type Event = Ticket;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "ticket-created",
        name: "Acknowledge a ticket and watch its deadline",
        triggers: &[Trigger::event("ticket/ticket.created")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Ticket>) -> Result<Value> {
        let ticket = &ctx.event.data;
        let sla = ctx
            .step
            .run("compute-sla", || async { Ok(sla(ticket)) })
            .await?;
        let within = match sla.response_hours {
            1 => "1 hour".to_owned(),
            hours => format!("{hours} hours"),
        };

        ctx.step
            .run("acknowledge-customer", || async {
                let subject = format!("[{}] We received your request", ticket.ticket_id);
                let body = format!(
                    "Thanks for contacting us about \"{}\". We will reply within {within}.",
                    ticket.subject
                );
                ctx.outbox
                    .deliver(Delivery::email(&ticket.customer_email, subject, body));
                Ok(())
            })
            .await?;

        let wait = WaitForEvent {
            event: "ticket/ticket.assigned",
            timeout: Duration::from_secs(sla.response_hours * 3600),
            if_expr: Some("async.data.ticket_id == event.data.ticket_id"),
        };
        let assignment = ctx
            .step
            .wait_for_event::<Value>("wait-for-assignment", wait)
            .await?;

        let escalated = assignment.is_none();
        if escalated {
            ctx.step
                .run("escalate", || async {
                    let subject = format!("[{}] unassigned past its deadline", ticket.ticket_id);
                    let body = format!("\"{}\" had no assignee within {within}.", ticket.subject);
                    ctx.outbox
                        .deliver(Delivery::chat("support-leads", subject, body));
                    Ok(())
                })
                .await?;
        }

        Ok(json!({
            "ticket_id": ticket.ticket_id,
            "priority": ticket.priority,
            "response_hours": sla.response_hours,
            "due_at": sla.due_at,
            "escalated": escalated,
        }))
    }
}

/// The first-response deadline: by priority, halved (at least an hour) for enterprise.
fn sla(ticket: &Ticket) -> Sla {
    let hours = match ticket.priority {
        Priority::Urgent => 1,
        Priority::High => 4,
        Priority::Normal => 24,
        Priority::Low => 72,
    };
    let response_hours = match ticket.customer_tier {
        Tier::Enterprise => (hours / 2).max(1),
        Tier::Free | Tier::Pro => hours,
    };

    Sla {
        response_hours,
        due_at: ticket.created_at + response_hours as i64 * 3600,
    }
}
