//! Tells a ticket's watchers when a comment is rewritten after its grace period.

use std::collections::BTreeSet;

use switchyard_runtime::prelude::*;

/// Edits within this many minutes of posting are typo fixes and notify nobody.
const GRACE_MINUTES: i64 = 5;

/// The data of `comment/comment.updated`.
#[derive(Debug, Deserialize)]
pub struct CommentEdit {
    pub comment_id: String,
    pub ticket_id: String,
    /// Email of whoever edited the comment.
    pub editor: String,
    pub previous_body: String,
    pub body: String,
    /// Unix seconds.
    pub posted_at: i64,
    /// Unix seconds.
    pub edited_at: i64,
    pub watchers: Vec<String>,
}

/// How much an edit changed, by distinct words.
#[derive(Debug, Serialize, Deserialize)]
pub struct Diff {
    pub words_added: usize,
    pub words_removed: usize,
    pub minutes_after_post: i64,
}

/// Notifies watchers of a rewritten comment.
pub struct CommentUpdated;

impl Function for CommentUpdated {
    type Event = CommentEdit;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "comment-updated",
        name: "Notify watchers of a rewritten comment",
        triggers: &[Trigger::event("comment/comment.updated")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<CommentEdit>) -> Result<Value> {
        let edit = &ctx.event.data;
        let diff = ctx
            .step
            .run("compare-versions", || async { Ok(compare(edit)) })
            .await?;

        let changed = diff.words_added + diff.words_removed > 0;
        if !changed || diff.minutes_after_post <= GRACE_MINUTES {
            return Ok(json!({ "comment_id": edit.comment_id, "diff": diff, "notified": [] }));
        }

        let notified = ctx
            .step
            .run("notify-watchers", || async {
                let subject = format!("[{}] A comment was edited", edit.ticket_id);
                let body = format!(
                    "{} edited a comment {} minutes after posting it \
                     (+{} / -{} words):\n\n> {}",
                    edit.editor,
                    diff.minutes_after_post,
                    diff.words_added,
                    diff.words_removed,
                    edit.body
                );
                let watchers: Vec<String> = edit
                    .watchers
                    .iter()
                    .filter(|w| **w != edit.editor)
                    .cloned()
                    .collect();
                for watcher in &watchers {
                    ctx.outbox
                        .deliver(Delivery::email(watcher, &subject, &body));
                }
                Ok(watchers)
            })
            .await?;

        Ok(json!({ "comment_id": edit.comment_id, "diff": diff, "notified": notified }))
    }
}

/// Counts the distinct words each version has that the other lacks.
fn compare(edit: &CommentEdit) -> Diff {
    let words = |text: &str| -> BTreeSet<String> {
        text.split_whitespace()
            .map(|word| {
                word.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
            })
            .filter(|word| !word.is_empty())
            .collect()
    };
    let (before, after) = (words(&edit.previous_body), words(&edit.body));

    Diff {
        words_added: after.difference(&before).count(),
        words_removed: before.difference(&after).count(),
        minutes_after_post: (edit.edited_at - edit.posted_at) / 60,
    }
}
