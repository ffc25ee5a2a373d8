//! Waits for an approval that matches the request, or gives up after an hour.

use switchyard_runtime::prelude::*;

/// The data of `conformance/approval.requested`.
#[derive(Debug, Deserialize)]
pub struct Request {
    pub request_id: String,
}

/// The data of `conformance/approval.granted`.
#[derive(Debug, Deserialize)]
pub struct Approval {
    pub request_id: String,
    pub approver: String,
}

/// Waits for the approval of one request.
pub struct WaitForApproval;

impl Function for WaitForApproval {
    type Event = Request;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-wait-for-event",
        name: "Conformance: wait for an event",
        triggers: &[Trigger::event("conformance/approval.requested")],
        retries: Some(0),
        concurrency: Some(Concurrency::keyed(1, "event.data.request_id")),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Request>) -> Result<Value> {
        let request_id = &ctx.event.data.request_id;
        let wait = WaitForEvent {
            event: "conformance/approval.granted",
            timeout: Duration::from_secs(3600),
            if_expr: Some("async.data.request_id == event.data.request_id"),
        };

        let approval = ctx
            .step
            .wait_for_event::<Approval>("wait for approval", wait)
            .await?;
        let outcome: String = ctx
            .step
            .run("record outcome", || async {
                Ok(match &approval {
                    Some(approval) => format!(
                        "{} approved {}",
                        approval.data.approver, approval.data.request_id
                    ),
                    None => format!("{request_id} timed out"),
                })
            })
            .await?;

        Ok(json!({ "request_id": request_id, "outcome": outcome }))
    }
}
