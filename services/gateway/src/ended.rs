//! Ended login sessions, so an access token stops working when its session
//! ends (Logout, DisableUser, a password reset, a reused refresh token) and
//! not only when it expires.
//!
//! Access tokens name their session (`sid`). Every call through the gateway
//! — gRPC, gRPC-Web and JSON alike — has its token checked against the set
//! kept here, in memory, so the read path pays one read lock and one hash
//! lookup, never a database query. The bound:
//!
//! - on the gateway replica that ended the session: at once (the session is
//!   added here in the same call, before its answer);
//! - on every other replica: within [`POLL_INTERVAL`] (2 s) plus one query,
//!   as each replica reloads the sessions ended within an access token's
//!   lifetime from `ended_sessions` that often;
//! - a caller who bypasses the gateway and calls a service directly is
//!   bounded by the access token's lifetime (`gateway.access_token_ttl_seconds`).

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::store::Store;

/// How often each replica reloads the ended sessions.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Sessions ended here are trusted from memory this long; after that only
/// what the database confirms is kept (an ending whose transaction rolled
/// back is forgotten).
const PENDING_FOR: Duration = Duration::from_secs(30);

/// The sessions whose access tokens are refused.
pub struct EndedSessions {
    inner: RwLock<Inner>,
    /// How far back an ending matters: an access token's lifetime and a margin.
    window: Duration,
}

#[derive(Default)]
struct Inner {
    /// As last loaded from the database.
    confirmed: HashSet<Box<str>>,
    /// Ended by this replica, with when.
    pending: Vec<(Box<str>, Instant)>,
}

impl EndedSessions {
    /// `window`: how long after its end a session's access tokens could
    /// still be unexpired (the access token lifetime and the clock skew).
    pub fn new(window: Duration) -> Arc<Self> {
        Arc::new(EndedSessions {
            inner: RwLock::new(Inner::default()),
            window: window + Duration::from_secs(60),
        })
    }

    /// Whether the session `session_id` has ended.
    pub fn has_ended(&self, session_id: &str) -> bool {
        let Ok(inner) = self.inner.read() else {
            return false;
        };
        inner.confirmed.contains(session_id)
            || inner
                .pending
                .iter()
                .any(|(pending, _)| &**pending == session_id)
    }

    /// Records sessions this replica has just ended.
    pub fn end(&self, sessions: impl IntoIterator<Item = Uuid>) {
        let now = Instant::now();
        if let Ok(mut inner) = self.inner.write() {
            for session in sessions {
                inner.pending.push((session.to_string().into(), now));
            }
        }
    }

    /// Reloads the sessions ended within the window from the database.
    pub async fn reload(&self, store: &Store) -> relief_runtime::error::Result<()> {
        let ended = store
            .recently_ended_sessions(self.window.as_secs() as i64)
            .await?;
        let confirmed: HashSet<Box<str>> = ended
            .into_iter()
            .map(|session| session.to_string().into())
            .collect();
        if let Ok(mut inner) = self.inner.write() {
            inner.confirmed = confirmed;
            inner
                .pending
                .retain(|(_, ended_at)| ended_at.elapsed() < PENDING_FOR);
        }
        Ok(())
    }

    /// Reloads every [`POLL_INTERVAL`] for as long as the process runs.
    pub fn spawn_polling(self: &Arc<Self>, store: Store) {
        let ended = Arc::clone(self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(POLL_INTERVAL);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(err) = ended.reload(&store).await {
                    tracing::warn!(error = %err, "cannot reload the ended sessions; keeping the last set");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ended_here_is_refused_at_once() {
        let ended = EndedSessions::new(Duration::from_secs(900));
        let session = Uuid::new_v4();
        assert!(!ended.has_ended(&session.to_string()));
        ended.end([session]);
        assert!(ended.has_ended(&session.to_string()));
        assert!(!ended.has_ended(&Uuid::new_v4().to_string()));
    }
}
