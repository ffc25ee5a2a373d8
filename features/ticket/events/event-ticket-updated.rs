//! Tells a ticket's watchers what changed, and the support leads when it turns urgent.

use switchyard_runtime::prelude::*;

/// The data of `ticket/ticket.updated`.
#[derive(Debug, Deserialize)]
pub struct TicketUpdate {
    pub ticket_id: String,
    pub subject: String,
    /// Email of whoever made the change; they are not notified of their own change.
    pub updated_by: String,
    pub watchers: Vec<String>,
    pub changes: Vec<Change>,
}

/// One field that changed.
#[derive(Debug, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: String,
    pub to: String,
}

/// Notifies the watchers of an update.
pub struct TicketUpdated;

impl Function for TicketUpdated {
    type Event = TicketUpdate;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "ticket-updated",
        name: "Notify watchers of a ticket update",
        triggers: &[Trigger::event("ticket/ticket.updated")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<TicketUpdate>) -> Result<Value> {
        let update = &ctx.event.data;
        let fields: Vec<&str> = update
            .changes
            .iter()
            .map(|change| change.field.as_str())
            .collect();
        if fields.is_empty() {
            return Ok(json!({ "ticket_id": update.ticket_id, "changed": fields, "notified": [] }));
        }

        let summary = ctx
            .step
            .run("summarize-changes", || async {
                let lines: Vec<String> = update
                    .changes
                    .iter()
                    .map(|change| format!("{}: {} -> {}", change.field, change.from, change.to))
                    .collect();
                Ok(lines.join("\n"))
            })
            .await?;

        let notified = ctx
            .step
            .run("notify-watchers", || async {
                let subject = format!("[{}] Updated: {}", update.ticket_id, fields.join(", "));
                let watchers: Vec<String> = update
                    .watchers
                    .iter()
                    .filter(|w| **w != update.updated_by)
                    .cloned()
                    .collect();
                for watcher in &watchers {
                    ctx.outbox
                        .deliver(Delivery::email(watcher, &subject, &summary));
                }
                Ok(watchers)
            })
            .await?;

        let raised_to_urgent = update
            .changes
            .iter()
            .any(|change| change.field == "priority" && change.to == "urgent");
        if raised_to_urgent {
            ctx.step
                .run("alert-leads", || async {
                    let subject = format!("[{}] raised to urgent", update.ticket_id);
                    let body = format!(
                        "{} raised \"{}\" to urgent.",
                        update.updated_by, update.subject
                    );
                    ctx.outbox
                        .deliver(Delivery::chat("support-leads", subject, body));
                    Ok(())
                })
                .await?;
        }

        Ok(json!({
            "ticket_id": update.ticket_id,
            "changed": fields,
            "notified": notified,
            "raised_to_urgent": raised_to_urgent,
        }))
    }
}
