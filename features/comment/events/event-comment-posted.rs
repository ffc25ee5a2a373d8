//! Emails everyone a new comment mentions with `@handle`, among the ticket's participants.

use switchyard_runtime::prelude::*;

/// The data of `comment/comment.posted`.
#[derive(Debug, Deserialize)]
pub struct Comment {
    pub comment_id: String,
    pub ticket_id: String,
    pub author: Participant,
    pub body: String,
    /// Everyone who can be mentioned on the ticket.
    pub participants: Vec<Participant>,
}

/// Someone taking part in a ticket.
#[derive(Debug, Deserialize)]
pub struct Participant {
    pub handle: String,
    pub name: String,
    pub email: String,
}

/// Notifies the people a comment mentions.
pub struct CommentPosted;

impl Function for CommentPosted {
    type Event = Comment;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "comment-posted",
        name: "Notify the people a comment mentions",
        triggers: &[Trigger::event("comment/comment.posted")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Comment>) -> Result<Value> {
        let comment = &ctx.event.data;
        if comment.body.trim().is_empty() {
            let message = format!("comment {} has an empty body", comment.comment_id);
            return Err(Error::non_retriable(message));
        }

        let handles = ctx
            .step
            .run("extract-mentions", || async {
                Ok(mentions(&comment.body, &comment.author.handle))
            })
            .await?;

        let (known, unknown): (Vec<&String>, Vec<&String>) = handles
            .iter()
            .partition(|handle| find(comment, handle).is_some());
        ctx.step
            .run("notify-mentioned", || async {
                let subject = format!(
                    "{} mentioned you on {}",
                    comment.author.name, comment.ticket_id
                );
                for participant in known.iter().filter_map(|handle| find(comment, handle)) {
                    let body = format!("Hi {},\n\n> {}", participant.name, comment.body);
                    ctx.outbox
                        .deliver(Delivery::email(&participant.email, &subject, body));
                }
                Ok(())
            })
            .await?;

        Ok(json!({ "comment_id": comment.comment_id, "mentioned": known, "unknown": unknown }))
    }
}

/// The distinct `@handle`s in `body`, lowercased, in order, without the author and without
/// the `@` of email addresses.
fn mentions(body: &str, author: &str) -> Vec<String> {
    let mut handles: Vec<String> = Vec::new();
    for (at, _) in body.match_indices('@') {
        let inside_word = body[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let handle: String = body[at + 1..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        let handle = handle.trim_end_matches('.').to_lowercase();

        let fresh = !handle.is_empty()
            && !handle.eq_ignore_ascii_case(author)
            && !handles.contains(&handle);
        if !inside_word && fresh {
            handles.push(handle);
        }
    }
    handles
}

/// The participant with this handle.
fn find<'a>(comment: &'a Comment, handle: &str) -> Option<&'a Participant> {
    comment
        .participants
        .iter()
        .find(|p| p.handle.eq_ignore_ascii_case(handle))
}
