//! When to try a call again, and after how long: a pure policy fed with what happened, so it is
//! tested without clocks or servers.

/// What one attempt ended with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome<'a> {
    /// No answer (connection refused, reset, DNS): the request may or may not have arrived.
    Network,
    /// An error status, with its `Retry-After` header and the body's error `type`.
    Status {
        /// HTTP status.
        status: u16,
        /// `Retry-After`, as sent.
        retry_after: Option<&'a str>,
        /// The error body's `type`.
        error_type: Option<&'a str>,
    },
}

/// Exponential backoff with jitter.
///
/// ```
/// use instant_edge::retry::{Outcome, RetryPolicy};
/// let policy = RetryPolicy::new(3);
/// let busy = Outcome::Status { status: 503, retry_after: None, error_type: None };
/// assert_eq!(policy.delay_ms(0, busy, true, 0.5), Some(150));
/// assert_eq!(policy.delay_ms(0, busy, false, 0.5), None, "a transact that may have run is not repeated");
/// assert_eq!(policy.delay_ms(3, busy, true, 0.5), None, "out of retries");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff step, in ms.
    pub base_ms: u32,
    /// Largest backoff step, in ms.
    pub max_ms: u32,
    /// A longer `Retry-After` than this is not waited for: the error is returned instead.
    pub max_retry_after_ms: u32,
}

impl RetryPolicy {
    /// `retries` retries, 200 ms doubling up to 5 s, `Retry-After` honoured up to 60 s.
    pub fn new(retries: u32) -> RetryPolicy {
        RetryPolicy { retries, base_ms: 200, max_ms: 5_000, max_retry_after_ms: 60_000 }
    }

    /// The wait before retry number `failures + 1`, or `None` to give up. `jitter` is uniform in
    /// `[0, 1)`; the wait is between half and all of the backoff step ("equal jitter"), so
    /// clients that failed together spread out.
    pub fn delay_ms(&self, failures: u32, outcome: Outcome<'_>, idempotent: bool, jitter: f64) -> Option<u32> {
        if failures >= self.retries || !retryable(outcome, idempotent) {
            return None;
        }
        if let Outcome::Status { retry_after: Some(header), .. } = outcome {
            if let Some(seconds) = parse_retry_after_seconds(header) {
                let ms = seconds.saturating_mul(1000);
                return (ms <= self.max_retry_after_ms).then_some(ms);
            }
        }
        let step = self.base_ms.saturating_mul(1u32.checked_shl(failures).unwrap_or(u32::MAX)).min(self.max_ms);
        let jitter = jitter.clamp(0.0, 1.0);
        Some((f64::from(step) * (0.5 + jitter / 2.0)) as u32)
    }
}

/// Queries retry on no answer, 408, 429 and 5xx. A transact retries only on answers proving it
/// never ran: 429 `rate-limited`, which the server's rate limiter gives before reading the body.
fn retryable(outcome: Outcome<'_>, idempotent: bool) -> bool {
    match outcome {
        Outcome::Network => idempotent,
        Outcome::Status { status, error_type, .. } => {
            if idempotent {
                status == 408 || status == 429 || (500..=599).contains(&status)
            } else {
                status == 429 && error_type == Some("rate-limited")
            }
        }
    }
}

/// `Retry-After: <seconds>`. The HTTP-date form needs a clock; it falls back to backoff.
fn parse_retry_after_seconds(header: &str) -> Option<u32> {
    let header = header.trim();
    (!header.is_empty() && header.bytes().all(|b| b.is_ascii_digit())).then(|| header.parse().unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(status: u16) -> Outcome<'static> {
        Outcome::Status { status, retry_after: None, error_type: None }
    }

    #[test]
    fn queries_retry_on_transient_answers_only() {
        let p = RetryPolicy::new(3);
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(p.delay_ms(0, status(s), true, 0.0).is_some(), "{s}");
        }
        for s in [400, 401, 403, 404, 413] {
            assert_eq!(p.delay_ms(0, status(s), true, 0.0), None, "{s}");
        }
        assert!(p.delay_ms(0, Outcome::Network, true, 0.0).is_some());
    }

    #[test]
    fn transacts_retry_only_when_provably_not_run() {
        let p = RetryPolicy::new(3);
        assert_eq!(p.delay_ms(0, Outcome::Network, false, 0.0), None);
        assert_eq!(p.delay_ms(0, status(503), false, 0.0), None);
        let timeout = Outcome::Status { status: 429, retry_after: None, error_type: Some("timeout") };
        assert_eq!(p.delay_ms(0, timeout, false, 0.0), None);
        let limited = Outcome::Status { status: 429, retry_after: None, error_type: Some("rate-limited") };
        assert!(p.delay_ms(0, limited, false, 0.0).is_some());
    }

    #[test]
    fn backoff_doubles_with_jitter_and_caps() {
        let p = RetryPolicy::new(10);
        let waits: Vec<u32> = (0..7).map(|n| p.delay_ms(n, Outcome::Network, true, 0.999_999).unwrap()).collect();
        assert_eq!(waits, [199, 399, 799, 1599, 3199, 4999, 4999]);
        assert_eq!(p.delay_ms(2, Outcome::Network, true, 0.0), Some(400));
    }

    #[test]
    fn retry_after_is_honoured_within_limits() {
        let p = RetryPolicy::new(3);
        let after = |h: &'static str| Outcome::Status { status: 503, retry_after: Some(h), error_type: None };
        assert_eq!(p.delay_ms(0, after("2"), true, 0.9), Some(2000));
        assert_eq!(p.delay_ms(0, after("120"), true, 0.9), None);
        assert_eq!(p.delay_ms(0, after("99999999999"), true, 0.9), None);
        assert_eq!(p.delay_ms(0, after("Wed, 21 Oct 2026 07:28:00 GMT"), true, 0.0), Some(100));
    }
}
