//! When and how long to wait before trying a request again.

use std::time::Duration;

use rand::Rng;

/// Retry settings: up to `max_retries` further attempts on 429, 503 and transport errors.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// First backoff step; doubles each attempt.
    pub base_delay: Duration,
    /// Upper bound of one computed backoff step.
    pub max_delay: Duration,
    /// Upper bound of an honoured `Retry-After`.
    pub retry_after_cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 8,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            retry_after_cap: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based).
    ///
    /// With a `Retry-After` from the server: that, capped by `retry_after_cap` (the server knows
    /// best when it can take more). Without: exponential backoff, `base_delay · 2^(attempt-1)`
    /// bounded by `max_delay`, with "equal jitter" — a uniformly random point in
    /// `[step/2, step]` — so that many clients throttled together do not retry in lockstep.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.retry_after_cap);
        }
        let exp = attempt.saturating_sub(1).min(30);
        let step = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let half = step / 2;
        half.saturating_add(half.mul_f64(rand::rng().random::<f64>()))
    }
}

/// Parses `Retry-After`: delta-seconds (what Graph-style APIs send) or an HTTP-date.
/// Anything else, negative or absurd, is ignored (the caller falls back to backoff).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = v.parse::<f64>() {
        // try_from_secs_f64, not from_secs_f64: the latter panics on overflow ("1e300").
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc2822).ok()?;
    let wait = at - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_capped() {
        let p = RetryPolicy {
            retry_after_cap: Duration::from_secs(5),
            ..Default::default()
        };
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(5)
        );
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
            ..Default::default()
        };
        for attempt in 1..20 {
            let d = p.delay(attempt, None);
            let step = Duration::from_millis(100 * (1u64 << (attempt - 1).min(3)))
                .min(Duration::from_millis(800));
            assert!(
                d >= step / 2 && d <= step,
                "attempt {attempt}: {d:?} not in [{:?}, {step:?}]",
                step / 2
            );
        }
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("1e300"), None);
        assert_eq!(parse_retry_after("NaN"), None);
        assert_eq!(parse_retry_after("inf"), None);
        // An HTTP-date in the past means "now".
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(Duration::ZERO)
        );
        let soon = time::OffsetDateTime::now_utc() + time::Duration::seconds(30);
        let text = soon
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap();
        let d = parse_retry_after(&text).unwrap();
        assert!(
            d > Duration::from_secs(25) && d <= Duration::from_secs(30),
            "{d:?}"
        );
    }

    #[test]
    fn backoff_never_panics_on_extremes() {
        let p = RetryPolicy {
            base_delay: Duration::MAX,
            max_delay: Duration::MAX,
            ..Default::default()
        };
        for attempt in [0, 1, 31, 32, u32::MAX] {
            let _ = p.delay(attempt, None);
        }
        let zero = RetryPolicy {
            base_delay: Duration::ZERO,
            ..Default::default()
        };
        assert_eq!(zero.delay(3, None), Duration::ZERO);
    }
}
