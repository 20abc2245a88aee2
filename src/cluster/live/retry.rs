//! When to try a request again: `429 Too Many Requests` (API Priority and Fairness sheds load
//! this way, with `Retry-After`) and `5xx` (an API server restarting, an overloaded etcd, a load
//! balancer without a backend) are worth a few more tries; nothing else is. Delays double from a
//! base, a `Retry-After` of the server is honoured, each delay is capped, and the delays of one
//! request add up to a bounded total. Connection failures and timeouts are not retried: the
//! server was not there for a whole timeout, and the user should hear so within that timeout.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The delay before the second attempt; it doubles after each.
    pub base: Duration,
    /// No single delay is longer (a longer `Retry-After` is cut to this).
    pub max_delay: Duration,
    /// The delays of one request add up to at most this.
    pub max_total: Duration,
}

impl RetryPolicy {
    pub fn with_base(base: Duration) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base,
            max_delay: Duration::from_secs(10),
            max_total: Duration::from_secs(20),
        }
    }

    /// The delay before trying again after `attempt` (1-based) ended with HTTP `status`, or
    /// `None` to give up. `waited` is what this request has slept already.
    pub fn delay(
        &self,
        status: u16,
        retry_after: Option<&str>,
        attempt: u32,
        waited: Duration,
    ) -> Option<Duration> {
        if !retryable(status) || attempt >= self.max_attempts {
            return None;
        }
        let backoff = self
            .base
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(self.max_delay);
        let delay = retry_after
            .and_then(parse_retry_after)
            .map_or(backoff, |d| d.min(self.max_delay));
        (waited + delay <= self.max_total).then_some(delay)
    }
}

/// 429 and every 5xx but `501 Not Implemented`.
pub fn retryable(status: u16) -> bool {
    status == 429 || ((500..600).contains(&status) && status != 501)
}

/// `Retry-After` in seconds (what the API server sends). The HTTP-date form is not used by
/// Kubernetes; it counts as absent, so the backoff applies.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn retries_429_and_5xx_only() {
        let p = RetryPolicy::with_base(100 * MS);
        for s in [429, 500, 502, 503, 504] {
            assert_eq!(p.delay(s, None, 1, Duration::ZERO), Some(100 * MS), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 409, 410, 501] {
            assert_eq!(p.delay(s, None, 1, Duration::ZERO), None, "{s}");
        }
    }

    #[test]
    fn backoff_doubles_and_attempts_are_bounded() {
        let p = RetryPolicy::with_base(100 * MS);
        assert_eq!(p.delay(503, None, 1, Duration::ZERO), Some(100 * MS));
        assert_eq!(p.delay(503, None, 2, Duration::ZERO), Some(200 * MS));
        assert_eq!(p.delay(503, None, 3, Duration::ZERO), Some(400 * MS));
        assert_eq!(
            p.delay(503, None, 4, Duration::ZERO),
            None,
            "4 attempts in all"
        );
    }

    #[test]
    fn retry_after_is_honoured_but_capped() {
        let p = RetryPolicy::with_base(100 * MS);
        assert_eq!(
            p.delay(429, Some("2"), 1, Duration::ZERO),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            p.delay(429, Some("3600"), 1, Duration::ZERO),
            Some(Duration::from_secs(10))
        );
        // Not seconds: the backoff applies.
        assert_eq!(
            p.delay(
                429,
                Some("Wed, 21 Oct 2015 07:28:00 GMT"),
                1,
                Duration::ZERO
            ),
            Some(100 * MS)
        );
    }

    #[test]
    fn total_wait_is_bounded() {
        let p = RetryPolicy::with_base(Duration::from_secs(8));
        assert_eq!(
            p.delay(500, None, 1, Duration::ZERO),
            Some(Duration::from_secs(8))
        );
        assert_eq!(
            p.delay(500, None, 2, Duration::from_secs(8)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(p.delay(500, None, 3, Duration::from_secs(18)), None);
    }
}
