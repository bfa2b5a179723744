//! Every SQL statement of the gateway's identity store, in its own schema:
//! users ([`users`]), role bindings ([`bindings`]) and sessions — refresh
//! tokens, their sealed replays and the log of every login ([`sessions`]).
//! Rows come and go typed; no rule is decided here except what the database
//! itself guarantees (unique login names, one live binding per role and node).

mod bindings;
mod sessions;
mod users;

pub use bindings::{BindingRow, NewBindingRow};
pub use sessions::{LoginEvent, RefreshRow};
pub use users::{Administered, NewUserRow, UserFilter, UserRow};

use relief_runtime::error::Result;
use sqlx::{PgPool, Postgres, Transaction};

/// The identity store. Functions that take a connection run inside the
/// caller's transaction; the others read from the pool.
#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub async fn begin(&self) -> Result<Transaction<'static, Postgres>> {
        Ok(self.pool.begin().await?)
    }
}
