//! Repeated failed logins lock the account for a while (brute force costs
//! time), and a success clears the count.

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i32,
    pub lock_for: Duration,
}

/// The state after one more failure: the new count and, when it reaches the
/// limit, until when the account is locked (the count then starts again).
pub fn after_failure(
    policy: LockoutPolicy,
    failures: i32,
    now: OffsetDateTime,
) -> (i32, Option<OffsetDateTime>) {
    let failures = failures + 1;
    if failures >= policy.max_failures {
        (0, Some(now + policy.lock_for))
    } else {
        (failures, None)
    }
}

/// Whether an account locked until `locked_until` is still locked at `now`.
pub fn is_locked(locked_until: Option<OffsetDateTime>, now: OffsetDateTime) -> bool {
    locked_until.is_some_and(|until| until > now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_on_the_limit_and_unlocks_after() {
        let policy = LockoutPolicy {
            max_failures: 3,
            lock_for: Duration::minutes(15),
        };
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(after_failure(policy, 0, now), (1, None));
        assert_eq!(after_failure(policy, 1, now), (2, None));
        let (count, until) = after_failure(policy, 2, now);
        assert_eq!(count, 0);
        assert!(is_locked(until, now + Duration::minutes(14)));
        assert!(!is_locked(until, now + Duration::minutes(16)));
    }
}
