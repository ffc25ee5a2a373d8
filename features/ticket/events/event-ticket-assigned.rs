//! Tells an agent about the ticket they were given and warns the leads when they carry too many.

use switchyard_runtime::prelude::*;

/// An agent with more open tickets than this is overloaded.
const MAX_OPEN_TICKETS: u32 = 8;

/// The data of `ticket/ticket.assigned`.
#[derive(Debug, Deserialize)]
pub struct Assignment {
    pub ticket_id: String,
    pub subject: String,
    pub priority: String,
    pub assignee: Agent,
    /// Email of whoever assigned the ticket.
    pub assigned_by: String,
    /// The assignee's open tickets before this one.
    pub open_tickets: u32,
}

/// A support agent.
#[derive(Debug, Deserialize)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: String,
}

/// Notifies the assignee, one run per agent at a time.
pub struct TicketAssigned;

impl Function for TicketAssigned {
    type Event = Assignment;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "ticket-assigned",
        name: "Notify the assignee of a ticket",
        triggers: &[Trigger::event("ticket/ticket.assigned")],
        retries: Some(3),
        // One run per agent at a time, so workload counts are read in order.
        concurrency: Some(Concurrency::keyed(1, "event.data.assignee.id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Assignment>) -> Result<Value> {
        let assignment = &ctx.event.data;
        let agent = &assignment.assignee;
        let open_tickets = assignment.open_tickets + 1;

        let notified = agent.email != assignment.assigned_by;
        if notified {
            ctx.step
                .run("notify-assignee", || async {
                    let subject = format!("[{}] Assigned to you", assignment.ticket_id);
                    let body = format!(
                        "{} assigned you \"{}\" ({} priority). \
                         You now have {open_tickets} open tickets.",
                        assignment.assigned_by, assignment.subject, assignment.priority
                    );
                    ctx.outbox
                        .deliver(Delivery::email(&agent.email, subject, body));
                    Ok(())
                })
                .await?;
        }

        let overloaded = ctx
            .step
            .run("check-workload", || async {
                let overloaded = open_tickets > MAX_OPEN_TICKETS;
                if overloaded {
                    let subject = format!("{} is overloaded", agent.name);
                    let body = format!(
                        "{} now has {open_tickets} open tickets (limit {MAX_OPEN_TICKETS}).",
                        agent.name
                    );
                    ctx.outbox
                        .deliver(Delivery::chat("support-leads", subject, body));
                }
                Ok(overloaded)
            })
            .await?;

        Ok(json!({
            "ticket_id": assignment.ticket_id,
            "assignee": agent.id,
            "open_tickets": open_tickets,
            "notified": notified,
            "overloaded": overloaded,
        }))
    }
}
