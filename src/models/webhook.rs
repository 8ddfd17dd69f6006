//! Webhooks on the wire (docs/webhooks.md §a, §b): the rows `/dash/apps/:app_id/webhooks…`
//! answers (snake_case; attempts kebab-case, as the server's `WebhookAttempt` record), the
//! delivery body and the payload. Timestamps stay the server's ISO strings.

use crate::prelude::*;
use serde::{Deserialize, Deserializer, Serialize};

use crate::Value;

/// `null` (or absent) as an empty list, as the official client's `?? []`.
fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// Where a webhook delivers: `{"url"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookSink {
    /// The https URL deliveries are POSTed to.
    pub url: String,
}

/// A webhook (`WebhookInfo`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookInfo {
    /// Its id.
    pub id: String,
    /// Where it delivers.
    pub sink: WebhookSink,
    /// The namespaces it watches (`null` on the wire when none: empty here, as there).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub namespaces: Vec<String>,
    /// `create`, `update`, `delete`.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub actions: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Why it was disabled (`disabledReason`).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    /// ISO timestamp.
    pub created_at: String,
    /// ISO timestamp.
    pub updated_at: String,
}

/// One delivery attempt (`WebhookAttempt`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    /// When it was made (ISO).
    #[serde(rename = "attempt-at", default)]
    pub attempt_at: Option<String>,
    /// How long it took.
    #[serde(rename = "duration-ms", default)]
    pub duration_ms: Option<f64>,
    /// Whether the sink answered 2xx.
    #[serde(rename = "success?", default)]
    pub success: Option<bool>,
    /// The sink's status.
    #[serde(rename = "status-code", default)]
    pub status_code: Option<u16>,
    /// The first 256 bytes of the sink's answer.
    #[serde(rename = "response-text", default)]
    pub response_text: Option<String>,
    /// `timeout`, `dns`, `connect`, `tls`, `protocol`, `network`, `disabled`, `unknown`.
    #[serde(rename = "error-type", default)]
    pub error_type: Option<String>,
    /// Its message.
    #[serde(rename = "error-message", default)]
    pub error_message: Option<String>,
}

/// One event: a transaction a webhook matched (`WebhookEventInfo`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookEventInfo {
    /// The transaction's ISN, e.g. `0/328/5307A1A0`.
    pub isn: String,
    /// `pending`, `processing`, `success`, `error`, `failed`.
    pub status: String,
    /// The attempts, oldest first (`None` when the server sends none).
    #[serde(default)]
    pub attempts: Option<Vec<WebhookAttempt>>,
    /// When the next retry is due (ISO).
    #[serde(default)]
    pub next_attempt_after: Option<String>,
    /// ISO timestamp.
    pub created_at: String,
    /// ISO timestamp.
    pub updated_at: String,
}

/// Cursors of an events page.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPageInfo {
    /// The first event's cursor.
    #[serde(default)]
    pub start_cursor: Option<String>,
    /// The last event's cursor: `after` for the next page.
    #[serde(default)]
    pub end_cursor: Option<String>,
    /// Whether more events follow.
    #[serde(default)]
    pub has_next_page: bool,
}

/// `listEvents`' answer (`WebhookEventsPage`), newest first, 100 a page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventsPage {
    /// The events.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub events: Vec<WebhookEventInfo>,
    /// The cursors.
    #[serde(default)]
    pub page_info: WebhookPageInfo,
}

/// A verified delivery's body (`WebhookBody`): where to fetch the records, and the JWT for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    /// `<origin>/webhooks/payload/<app>/<webhook>/<isn>`.
    pub payload_url: String,
    /// A JWT good for that URL for an hour.
    pub token: String,
}

/// One changed entity (`WebhookPayloadRecord`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    /// Its namespace.
    pub namespace: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// Its id.
    pub id: String,
    /// Its attributes before (`null` on create).
    #[serde(default)]
    pub before: Value,
    /// Its attributes after (`null` on delete).
    #[serde(default)]
    pub after: Value,
    /// Stable across retries and resends.
    pub idempotency_key: String,
}

/// What a payload URL answers (`WebhookPayload`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookPayload {
    /// The records (`null` on the wire when the transaction's history is gone: empty here).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: Vec<WebhookRecord>,
    /// The delivery's `Idempotency-Key`.
    pub idempotency_key: String,
}
