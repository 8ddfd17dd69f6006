use serde::{Deserialize, Serialize};

/// The answer to a successful `POST /admin/transact` (spec §3.2): the transaction's id.
///
/// ```
/// use instant_edge::models::TransactResponse;
/// let body = serde_json::to_string(&TransactResponse { tx_id: 7 }).unwrap();
/// assert_eq!(body, r#"{"tx-id":7}"#);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactResponse {
    /// Positive, strictly increasing per server.
    #[serde(rename = "tx-id")]
    pub tx_id: u64,
}
