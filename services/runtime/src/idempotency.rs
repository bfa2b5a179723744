//! `request_id` idempotency: a retried request (same id, same content) gets
//! the first answer and acts no second time; the same id with different
//! content is refused. The key is claimed inside the caller's transaction, so
//! a refused or failed request leaves no key behind, and concurrent replays
//! wait on the key's row until the first one commits.

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use crate::error::Error;

/// The outcome of claiming a request id.
pub enum Claim<R> {
    /// First time: do the work, then [`store_answer`] in the same transaction.
    Fresh,
    /// Seen before with the same content: answer this and do nothing.
    Replay(R),
}

/// What a request id is bound to: the method, the caller and the request's
/// content. A retry must match all three; anything else reusing the id is
/// refused, so one caller cannot replay another's answer.
pub fn fingerprint<Q: Message>(method: &str, caller_id: &str, request: &Q) -> String {
    let mut hasher = Sha256::new();
    for part in [method.as_bytes(), caller_id.as_bytes()] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part);
    }
    hasher.update(request.encode_to_vec());
    hex::encode(hasher.finalize())
}

/// Claims a (checked) `request_id` with its [`fingerprint`] within the open
/// transaction `tx`; the pipeline's first step of every write.
pub async fn claim<R: Message + Default>(
    tx: &mut PgConnection,
    method: &str,
    request_id: &str,
    fingerprint: &str,
) -> Result<Claim<R>, Error> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (request_id, method, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(request_id)
    .bind(method)
    .bind(fingerprint)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::Fresh);
    }
    let (seen_method, seen_hash, response): (String, String, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT method, request_hash, response FROM idempotency_keys WHERE request_id = $1",
    )
    .bind(request_id)
    .fetch_one(&mut *tx)
    .await?;
    if seen_method != method || seen_hash != fingerprint {
        return Err(Error::RequestIdReused(request_id.to_owned()));
    }
    let response = response.ok_or(Error::RequestInFlight)?;
    R::decode(response.as_slice())
        .map(Claim::Replay)
        .map_err(|err| Error::internal("decoding the stored answer", err))
}

/// Stores the answer of a fresh request in the transaction that did the work.
pub async fn store_answer<R: Message>(
    tx: &mut PgConnection,
    request_id: &str,
    response: &R,
) -> Result<(), Error> {
    sqlx::query("UPDATE idempotency_keys SET response = $2 WHERE request_id = $1")
        .bind(request_id)
        .bind(response.encode_to_vec())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What is wrong with a request id, if anything. A request id is required
/// on every mutating request; UUIDs fit, but any printable token of up to
/// 128 characters does.
pub fn request_id_problem(request_id: &str) -> Option<&'static str> {
    if request_id.is_empty() {
        Some("required: a unique id per intended action, reused on retry")
    } else if request_id.len() > 128 || !request_id.chars().all(|c| c.is_ascii_graphic()) {
        Some("at most 128 printable ASCII characters")
    } else {
        None
    }
}

/// Forgets request ids older than `retention`: a client retries within
/// minutes, not months, and the table would otherwise grow forever.
pub async fn prune(
    pool: &sqlx::PgPool,
    retention: std::time::Duration,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(retention.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

/// Prunes once an hour for as long as the process runs.
pub fn spawn_pruning(pool: sqlx::PgPool, retention: std::time::Duration) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every.tick().await;
            match prune(&pool, retention).await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "old request ids forgotten"),
                Err(err) => tracing::warn!(error = %err, "pruning request ids failed"),
            }
        }
    });
}
