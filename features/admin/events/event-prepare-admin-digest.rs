//! Computes the admin digest every weekday morning, or on request, and announces it.

use std::collections::BTreeMap;

use switchyard_runtime::prelude::*;

/// How many customers the digest ranks by revenue.
const TOP_CUSTOMERS: usize = 3;

/// The data of a digest run: scheduled runs carry only their cron, requests the activity.
#[derive(Debug, Deserialize)]
pub struct DigestRequest {
    /// The period the digest covers, such as `2026-03-02`.
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub activity: Vec<Activity>,
}

/// One thing that happened in the app: `payment`, `refund`, `sign_up`, `ticket_opened`, ...
#[derive(Debug, Deserialize)]
pub struct Activity {
    pub kind: String,
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub amount_cents: i64,
}

/// The digest that `admin/digest.prepared` carries; amounts are in euro cents.
#[derive(Debug, Serialize, Deserialize)]
pub struct Digest {
    pub period: String,
    pub total_events: usize,
    pub counts: BTreeMap<String, usize>,
    pub revenue_cents: i64,
    pub refunds_cents: i64,
    pub net_cents: i64,
    pub top_customers: Vec<TopCustomer>,
}

/// A customer ranked by what they paid in the period.
#[derive(Debug, Serialize, Deserialize)]
pub struct TopCustomer {
    pub name: String,
    pub revenue_cents: i64,
}

/// Computes the digest and sends `admin/digest.prepared`.
pub struct PrepareAdminDigest;

impl Function for PrepareAdminDigest {
    type Event = DigestRequest;
    type Output = Value;

    const CONFIG: Config = Config {
        id: "prepare-admin-digest",
        name: "Prepare the admin digest",
        triggers: &[
            Trigger::cron("TZ=Europe/Paris 0 8 * * 1-5"),
            Trigger::event("admin/digest.requested"),
        ],
        retries: Some(2),
        concurrency: Some(Concurrency::limit(1)),
        ..Config::DEFAULT
    };

    // TODO: scheduled runs should load the previous day's activity from the app's database;
    // the example app has none, so a scheduled digest sums up only what its event carries.
    async fn run(ctx: Context<DigestRequest>) -> Result<Value> {
        let request = &ctx.event.data;
        let digest = ctx
            .step
            .run("compute-digest", || async {
                let period = request.period.as_deref().unwrap_or("since the last digest");
                summarize(period, &request.activity)
            })
            .await?;

        let prepared = Event::new("admin/digest.prepared", json!(digest));
        let event_ids = ctx
            .step
            .send_event("announce-digest", vec![prepared])
            .await?;

        Ok(json!({ "digest": digest, "event_ids": event_ids }))
    }
}

/// Counts the activity by kind, totals payments and refunds, and ranks paying customers.
fn summarize(period: &str, activity: &[Activity]) -> Result<Digest> {
    let mut counts = BTreeMap::new();
    let mut revenue_by_customer: BTreeMap<&str, i64> = BTreeMap::new();
    let (mut revenue_cents, mut refunds_cents) = (0, 0);
    for (index, item) in activity.iter().enumerate() {
        if item.amount_cents < 0 {
            let message = format!("activity {index} ({}) has a negative amount", item.kind);
            return Err(Error::non_retriable(message));
        }
        *counts.entry(item.kind.clone()).or_insert(0) += 1;
        match item.kind.as_str() {
            "payment" => {
                revenue_cents += item.amount_cents;
                *revenue_by_customer.entry(&item.customer).or_insert(0) += item.amount_cents;
            }
            "refund" => refunds_cents += item.amount_cents,
            _ => {}
        }
    }

    let mut top_customers: Vec<TopCustomer> = revenue_by_customer
        .into_iter()
        .map(|(name, revenue_cents)| TopCustomer {
            name: name.to_owned(),
            revenue_cents,
        })
        .collect();
    top_customers.sort_by(|a, b| {
        b.revenue_cents
            .cmp(&a.revenue_cents)
            .then(a.name.cmp(&b.name))
    });
    top_customers.truncate(TOP_CUSTOMERS);

    Ok(Digest {
        period: period.to_owned(),
        total_events: activity.len(),
        counts,
        revenue_cents,
        refunds_cents,
        net_cents: revenue_cents - refunds_cents,
        top_customers,
    })
}
