//! Rejects an order for good, in a step or in the function itself, as the event says.

use switchyard_runtime::prelude::*;

/// The data of `conformance/non-retriable.error`.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub order_id: String,
    /// Whether the `check order` step rejects the order.
    pub reject_in_step: bool,
    /// Whether the function rejects the order after the check.
    pub reject: bool,
}

/// Checks an order and may reject it without retrying.
pub struct NonRetriableError;

impl Function for NonRetriableError {
    type Event = Order;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "conformance-non-retriable-error",
        name: "Conformance: non-retriable errors",
        triggers: &[Trigger::event("conformance/non-retriable.error")],
        retries: Some(3),
        ..Config::DEFAULT
    };

    async fn run(ctx: Context<Order>) -> Result<Value> {
        let order = &ctx.event.data;

        let checked: String = ctx
            .step
            .run("check order", || async {
                if order.reject_in_step {
                    let message = format!("order {} failed its check", order.order_id);
                    return Err(Error::non_retriable(message));
                }
                Ok(format!("order {} checked", order.order_id))
            })
            .await?;
        if order.reject {
            let message = format!("order {} is rejected", order.order_id);
            return Err(Error::non_retriable(message));
        }

        Ok(json!({ "order_id": order.order_id, "checked": checked }))
    }
}
