//! Tells authors when a moderator removes their comment, and logs every moderation.

use switchyard_runtime::prelude::*;

/// The data of `comment/comment.deleted`.
#[derive(Debug, Deserialize)]
pub struct Deletion {
    pub comment_id: String,
    pub ticket_id: String,
    pub author: User,
    pub deleted_by: User,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A user of the app and their role.
#[derive(Debug, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
}

/// What a user may do with other people's comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Agent,
    Moderator,
}

/// Reports moderated comments.
pub struct CommentDeleted;

impl Function for CommentDeleted {
    type Event = Deletion;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "comment-deleted",
        name: "Report moderated comments",
        triggers: &[Trigger::event("comment/comment.deleted")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Deletion>) -> Result<Value> {
        let deletion = &ctx.event.data;
        let (author, moderator) = (&deletion.author, &deletion.deleted_by);
        let moderated = author.id != moderator.id;
        if moderated && moderator.role == Role::Customer {
            let message = format!(
                "customer {} may not delete comment {} of user {}",
                moderator.id, deletion.comment_id, author.id
            );
            return Err(Error::non_retriable(message));
        }
        if !moderated {
            return Ok(json!({ "comment_id": deletion.comment_id, "moderated": false }));
        }

        let reason = deletion.reason.as_deref().unwrap_or("no reason given");
        ctx.step
            .run("notify-author", || async {
                let subject = format!("[{}] Your comment was removed", deletion.ticket_id);
                let body = format!(
                    "Hi {}, {} removed your comment {}: {reason}.",
                    author.name, moderator.name, deletion.comment_id
                );
                ctx.outbox
                    .deliver(Delivery::email(&author.email, subject, body));
                Ok(())
            })
            .await?;

        ctx.step
            .run("log-moderation", || async {
                let subject = format!("{} deleted {}", moderator.name, deletion.comment_id);
                let body = format!(
                    "Author {}, ticket {}: {reason}",
                    author.id, deletion.ticket_id
                );
                ctx.outbox
                    .deliver(Delivery::chat("moderation-log", subject, body));
                Ok(())
            })
            .await?;

        Ok(json!({ "comment_id": deletion.comment_id, "moderated": true, "reason": reason }))
    }
}
