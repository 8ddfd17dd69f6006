//! Per-app auth state kept beside the triples, as the real server keeps it on the app row or
//! outside the database: [`AuthSettings`] (magic-code expiry and rate limit, test users), the
//! magic-code rate-limit buckets ([`RateLimits`]) and the [`OutboxMessage`]s magic-code
//! emails become.

use std::collections::HashMap;

use serde_json::{json, Value};

/// Magic codes live this long unless the app says otherwise (§7.3:
/// `default-magic-code-expiry-minutes`).
pub const DEFAULT_MAGIC_CODE_EXPIRY_MINUTES: u64 = 1440;

/// Sends and verify attempts allowed per hour per (app, email) unless the app says otherwise
/// (§3.13: `magic-code-rate-limit-per-hour`).
pub const DEFAULT_MAGIC_CODE_RATE_LIMIT_PER_HOUR: u64 = 20;

/// One test user: an email whose static code always verifies (§7.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestUser {
    /// Trimmed, lower-cased email.
    pub email: String,
    /// The static code.
    pub code: String,
}

/// Per-app auth settings, set through the control surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a magic code stays valid (`magic_code_expiry_minutes`, §7.3).
    pub magic_code_expiry_minutes: u64,
    /// Capacity of each magic-code bucket; 0 turns the limit off (an emulator-only switch).
    pub magic_code_rate_limit_per_hour: u64,
    /// Test users, at most one per email.
    pub test_users: Vec<TestUser>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            magic_code_expiry_minutes: DEFAULT_MAGIC_CODE_EXPIRY_MINUTES,
            magic_code_rate_limit_per_hour: DEFAULT_MAGIC_CODE_RATE_LIMIT_PER_HOUR,
            test_users: Vec::new(),
        }
    }
}

impl AuthSettings {
    /// The expiry in milliseconds (saturating: a huge setting means "never").
    pub fn magic_code_expiry_ms(&self) -> i64 {
        i64::try_from(self.magic_code_expiry_minutes).unwrap_or(i64::MAX).saturating_mul(60_000)
    }

    /// The control surface's view: the same keys it accepts.
    pub fn to_wire(&self) -> Value {
        let test_users: Vec<Value> = self.test_users.iter().map(|u| json!({"email": u.email, "code": u.code})).collect();
        json!({
            "magic-code-expiry-minutes": self.magic_code_expiry_minutes,
            "magic-code-rate-limit-per-hour": self.magic_code_rate_limit_per_hour,
            "test-users": test_users,
        })
    }
}

/// Which magic-code bucket a request draws from (the real server keys them `"create"` and
/// `"consume"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateLimitKind {
    /// `send_magic_code`.
    Create,
    /// `verify_magic_code` attempts.
    Consume,
}

const HOUR_MS: i64 = 60 * 60 * 1000;

/// A bucket4j `refillIntervally(capacity, 1 hour)` bucket: full when created, refilled to full
/// at each whole hour after its creation (not an hour after the last request).
#[derive(Clone, Debug)]
struct Bucket {
    created_ms: i64,
    refills: i64,
    tokens: u64,
}

impl Bucket {
    fn try_consume(&mut self, capacity: u64, now: i64) -> bool {
        let refills = (now - self.created_ms).div_euclid(HOUR_MS);
        if refills > self.refills {
            self.refills = refills;
            self.tokens = capacity;
        }
        let Some(left) = self.tokens.checked_sub(1) else { return false };
        self.tokens = left;
        true
    }
}

/// The buckets of one app, one per (kind, email, capacity). The capacity is part of the key, as
/// in the real server's key hash, so a changed limit starts fresh buckets.
#[derive(Clone, Debug, Default)]
pub struct RateLimits {
    buckets: HashMap<(RateLimitKind, String, u64), Bucket>,
}

impl RateLimits {
    /// Takes one token from the bucket of `(kind, email)`; false when it is empty. A capacity of
    /// 0 means no limit.
    pub fn try_consume(&mut self, kind: RateLimitKind, email: &str, capacity: u64, now: i64) -> bool {
        if capacity == 0 {
            return true;
        }
        self.buckets
            .entry((kind, email.to_owned(), capacity))
            .or_insert(Bucket { created_ms: now, refills: 0, tokens: capacity })
            .try_consume(capacity, now)
    }
}

/// One email that did not leave the machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Recipient (lower-cased).
    pub email: String,
    /// The magic code it carried.
    pub code: String,
    /// When, ms since the epoch.
    pub sent_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_to_full_at_whole_hours_since_creation() {
        // bucket4j refillIntervally(2, 1 hour): the refill follows the creation time, not use
        let mut limits = RateLimits::default();
        let take = |limits: &mut RateLimits, now| limits.try_consume(RateLimitKind::Create, "a@b.co", 2, now);
        assert!(take(&mut limits, 1_000) && take(&mut limits, 2_000));
        assert!(!take(&mut limits, HOUR_MS + 999), "still the first hour");
        assert!(take(&mut limits, HOUR_MS + 1_000) && take(&mut limits, HOUR_MS + 1_001));
        assert!(!take(&mut limits, HOUR_MS + 1_002));
        assert!(limits.try_consume(RateLimitKind::Consume, "a@b.co", 2, HOUR_MS + 1_002), "kinds are separate");
        assert!((0..50).all(|i| limits.try_consume(RateLimitKind::Create, "a@b.co", 0, i)), "0 = no limit");
    }
}
