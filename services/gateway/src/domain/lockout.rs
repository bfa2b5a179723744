//! Failed logins cost time, without letting anyone lock anyone else out.
//!
//! - **Lock per login name and client address**: `max_failures` failures in a
//!   row for one name from one address lock that name *for that address* for
//!   `lock_for`. The user logging in from elsewhere is not affected.
//! - **Slowdown per login name, from all addresses together**: after
//!   [`LockoutPolicy::slowdown_after`] failures of one name within `lock_for`
//!   (from any mix of addresses), attempts at that name are let through one
//!   per [`SLOWDOWN_SPACING`]; an attempt that would wait more than
//!   [`SLOWDOWN_MAX_WAIT`] is refused at once (`RESOURCE_EXHAUSTED`, retry
//!   later). A distributed guess runs at one try a second, not thousands.
//! - Unknown names are counted, locked and slowed exactly like real ones, and a
//!   locked name answers exactly like a wrong password, so neither tells
//!   whether an account exists or is locked.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i32,
    pub lock_for: Duration,
}

/// Attempts at one slowed-down name are at least this far apart.
pub const SLOWDOWN_SPACING: StdDuration = StdDuration::from_secs(1);
/// An attempt that would wait longer than this for its turn is refused.
pub const SLOWDOWN_MAX_WAIT: StdDuration = StdDuration::from_secs(5);
/// Names tracked at most (beyond it, quiet ones are forgotten first).
const SLOWDOWN_CAPACITY: usize = 10_000;

impl LockoutPolicy {
    /// Failures of one name, from all addresses together, before attempts at
    /// it are slowed: twice what locks it for one address.
    pub fn slowdown_after(self) -> u32 {
        (self.max_failures.max(1) as u32) * 2
    }

    fn window(self) -> StdDuration {
        StdDuration::from_secs(self.lock_for.whole_seconds().max(1) as u64)
    }
}

/// Until when a name is locked for an address after its `failures`-th
/// failure in a row from there, if that many lock it.
pub fn lock_after(
    policy: LockoutPolicy,
    failures: i32,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    (failures >= policy.max_failures).then(|| now + policy.lock_for)
}

/// The slowdown's memory: recent failures per login name.
#[derive(Debug, Default)]
pub struct Slowdown {
    names: HashMap<String, Recent>,
}

#[derive(Debug)]
struct Recent {
    failures: u32,
    since: Instant,
    /// When the next attempt at the name may go ahead.
    next_turn: Instant,
}

impl Slowdown {
    /// How long an attempt at `name` waits for its turn (its turn is then
    /// taken), or — when that would be more than [`SLOWDOWN_MAX_WAIT`] — how
    /// long to come back after.
    pub fn admit(
        &mut self,
        policy: LockoutPolicy,
        name: &str,
        now: Instant,
    ) -> Result<StdDuration, StdDuration> {
        let Some(recent) = self.names.get_mut(name) else {
            return Ok(StdDuration::ZERO);
        };
        if now.duration_since(recent.since) > policy.window() {
            self.names.remove(name);
            return Ok(StdDuration::ZERO);
        }
        if recent.failures < policy.slowdown_after() {
            return Ok(StdDuration::ZERO);
        }
        let turn = recent.next_turn.max(now);
        let wait = turn.duration_since(now);
        if wait > SLOWDOWN_MAX_WAIT {
            return Err(wait);
        }
        recent.next_turn = turn + SLOWDOWN_SPACING;
        Ok(wait)
    }

    /// One more failed attempt at `name` (wrong password, unknown name, or
    /// refused as locked).
    pub fn failed(&mut self, policy: LockoutPolicy, name: &str, now: Instant) {
        if self.names.len() >= SLOWDOWN_CAPACITY && !self.names.contains_key(name) {
            let window = policy.window();
            self.names
                .retain(|_, recent| now.duration_since(recent.since) <= window);
            if self.names.len() >= SLOWDOWN_CAPACITY {
                self.names.clear();
            }
        }
        let recent = self.names.entry(name.to_owned()).or_insert(Recent {
            failures: 0,
            since: now,
            next_turn: now,
        });
        recent.failures += 1;
    }

    /// The name's password was given right: it is no longer slowed.
    pub fn succeeded(&mut self, name: &str) {
        self.names.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: LockoutPolicy = LockoutPolicy {
        max_failures: 3,
        lock_for: Duration::minutes(15),
    };

    #[test]
    fn locks_on_the_limit() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(lock_after(POLICY, 2, now), None);
        assert_eq!(
            lock_after(POLICY, 3, now),
            Some(now + Duration::minutes(15))
        );
    }

    #[test]
    fn a_name_failing_from_everywhere_is_slowed_then_refused_for_a_while() {
        let mut slowdown = Slowdown::default();
        let start = Instant::now();
        for _ in 0..POLICY.slowdown_after() {
            assert_eq!(
                slowdown.admit(POLICY, "staff.a", start),
                Ok(StdDuration::ZERO)
            );
            slowdown.failed(POLICY, "staff.a", start);
        }
        // Now one attempt a second: each caller waits for their turn…
        let waits: Vec<StdDuration> = (0..6)
            .map(|_| slowdown.admit(POLICY, "staff.a", start).expect("a turn"))
            .collect();
        assert_eq!(waits[0], StdDuration::ZERO);
        assert_eq!(waits[5], StdDuration::from_secs(5));
        // …until the queue is longer than the longest wait.
        assert!(slowdown.admit(POLICY, "staff.a", start).is_err());
        assert_eq!(
            slowdown.admit(POLICY, "other", start),
            Ok(StdDuration::ZERO),
            "per name"
        );
        let later = start + StdDuration::from_secs(16 * 60);
        assert_eq!(
            slowdown.admit(POLICY, "staff.a", later),
            Ok(StdDuration::ZERO)
        );
    }
}
