//! The tamper-evident audit trail (SPEC §9, notice §四): every change a service
//! makes is appended, in the same transaction, to a hash chain in which each
//! entry's hash covers its predecessor's hash and its own canonical content.
//! Altering, removing or reordering any entry breaks every hash after it.

use sha2::{Digest, Sha256};
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tonic::Status;

use relief_proto::common::v1::{
    Actor, AuditEntry, ListAuditEntriesRequest, ListAuditEntriesResponse, VerifyAuditChainRequest,
    VerifyAuditChainResponse,
};
use tonic::{Request, Response};

use crate::auth::Permission;

use crate::error::{Error, Result};
use crate::pagination::Page;

/// Any fixed number, seeding the advisory lock that orders appends within a
/// schema. Advisory locks are database-wide, so the key is this number mixed
/// with the schema's name: services sharing one database (a local run, the
/// dev overlay) each order their own chain and never wait on another's — a
/// workflow transaction that has audited and then calls the ledger, which
/// audits too, would otherwise wait on itself.
const CHAIN_LOCK: i64 = 0x7265_6c69_6566;

/// The hash of an entry: SHA-256 over the predecessor's hash and each field,
/// length-prefixed so that no two different entries serialise alike.
fn entry_hash(
    prev_hash: &str,
    seq: i64,
    at: &str,
    actor: &Actor,
    action: &str,
    resource: &str,
    change: &str,
) -> String {
    let mut hasher = Sha256::new();
    for part in [
        prev_hash,
        &seq.to_string(),
        at,
        &actor.user_id,
        &actor.display_name,
        action,
        resource,
        change,
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Appends one change to the chain within the caller's transaction. `change`
/// must already have sensitive values masked.
///
/// A transaction, not any connection: the advisory lock that orders appends
/// lasts until the transaction ends, and on a connection outside one it ends
/// with its own statement — two appends then take the same `seq`.
pub async fn append(
    tx: &mut sqlx::PgTransaction<'_>,
    actor: &Actor,
    action: &str,
    resource: &str,
    change: &serde_json::Value,
) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended(current_schema(), $1))")
        .bind(CHAIN_LOCK)
        .execute(&mut **tx)
        .await?;
    let last = sqlx::query("SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (prev_seq, prev_hash): (i64, String) = match last {
        Some(row) => (row.get(0), row.get(1)),
        None => (0, String::new()),
    };
    let seq = prev_seq + 1;
    let at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .map_err(|err| Error::internal("formatting a timestamp", err))?;
    let change = change.to_string();
    let hash = entry_hash(&prev_hash, seq, &at, actor, action, resource, &change);
    sqlx::query(
        "INSERT INTO audit_chain (seq, at, actor_id, actor_name, action, resource, change_json, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(&at)
    .bind(&actor.user_id)
    .bind(&actor.display_name)
    .bind(action)
    .bind(resource)
    .bind(&change)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An entry as stored, with its time as the text its hash covers.
fn entry_from_row(row: &sqlx::postgres::PgRow) -> (AuditEntry, String) {
    let at: String = row.get("at");
    let entry = AuditEntry {
        seq: row.get("seq"),
        change_time: OffsetDateTime::parse(&at, &Rfc3339)
            .ok()
            .map(crate::time::timestamp),
        actor: Some(Actor {
            user_id: row.get("actor_id"),
            display_name: row.get("actor_name"),
        }),
        action: row.get("action"),
        resource: row.get("resource"),
        change_json: row.get("change_json"),
        hash: row.get("hash"),
        prev_hash: row.get("prev_hash"),
    };
    (entry, at)
}

/// Recomputes the whole chain and names the first entry that does not hold.
pub async fn verify(pool: &PgPool) -> Result<VerifyAuditChainResponse> {
    use futures::TryStreamExt;
    let mut rows = sqlx::query("SELECT * FROM audit_chain ORDER BY seq").fetch(pool);
    let mut expected_prev = String::new();
    let mut expected_seq = 1_i64;
    let mut checked = 0_i64;
    while let Some(row) = rows.try_next().await? {
        let (entry, at) = entry_from_row(&row);
        let actor = entry.actor.clone().unwrap_or_default();
        let recomputed = entry_hash(
            &entry.prev_hash,
            entry.seq,
            &at,
            &actor,
            &entry.action,
            &entry.resource,
            &entry.change_json,
        );
        let broken = if entry.seq != expected_seq {
            Some(format!("entry {expected_seq} is missing"))
        } else if entry.prev_hash != expected_prev {
            Some("does not link to the entry before it".to_owned())
        } else if recomputed != entry.hash {
            Some("content does not match its hash".to_owned())
        } else {
            None
        };
        if let Some(detail) = broken {
            return Ok(VerifyAuditChainResponse {
                intact: false,
                entries_checked: checked,
                first_broken_seq: Some(expected_seq.min(entry.seq)),
                detail,
            });
        }
        checked += 1;
        expected_seq += 1;
        expected_prev = entry.hash;
    }
    Ok(VerifyAuditChainResponse {
        intact: true,
        entries_checked: checked,
        first_broken_seq: None,
        detail: String::new(),
    })
}

/// A page of the chain, oldest first, optionally for one resource.
pub async fn list(
    pool: &PgPool,
    request: &ListAuditEntriesRequest,
) -> Result<ListAuditEntriesResponse> {
    let page = Page::<i64>::of("ListAuditEntries", request)?;
    list_page(pool, &request.resource, page).await
}

async fn list_page(
    pool: &PgPool,
    resource: &str,
    page: Page<i64>,
) -> Result<ListAuditEntriesResponse> {
    let rows = sqlx::query(
        "SELECT * FROM audit_chain WHERE seq > $1 AND ($2 = '' OR resource = $2) ORDER BY seq LIMIT $3",
    )
    .bind(page.after.unwrap_or(0))
    .bind(resource)
    .bind(page.fetch())
    .fetch_all(pool)
    .await?;
    let mut entries: Vec<AuditEntry> = rows.iter().map(|row| entry_from_row(row).0).collect();
    let next_page_token = page.next(&mut entries, |entry| entry.seq);
    Ok(ListAuditEntriesResponse {
        entries,
        next_page_token,
    })
}

/// `VerifyAuditChain` asks for nothing but the caller's right to read.
pub struct WholeChain;

impl TryFrom<VerifyAuditChainRequest> for WholeChain {
    type Error = crate::error::FieldViolations;

    fn try_from(_: VerifyAuditChainRequest) -> Result<Self, Self::Error> {
        Ok(WholeChain)
    }
}

/// A page of `ListAuditEntries`: the resource, and the page.
pub struct EntriesPage {
    resource: String,
    page: Page<i64>,
}

impl TryFrom<ListAuditEntriesRequest> for EntriesPage {
    type Error = crate::error::FieldViolations;

    fn try_from(request: ListAuditEntriesRequest) -> Result<Self, Self::Error> {
        let mut violations = crate::error::FieldViolations::new();
        let page = Page::parse("ListAuditEntries", &request, &mut violations);
        violations.check_line("resource", &request.resource, crate::text::MAX_LINE);
        violations.then(|| EntriesPage {
            resource: request.resource,
            page,
        })
    }
}

/// The `VerifyAuditChain` RPC through the service's pipeline: for whoever
/// may read the audit trail of the committee's whole tree (the committee as
/// configured, `rpc.committee()`).
pub async fn verify_chain(
    rpc: &crate::rpc::Rpc,
    request: Request<VerifyAuditChainRequest>,
) -> Result<Response<VerifyAuditChainResponse>, Status> {
    rpc.read(request, |caller, _: WholeChain| async move {
        caller.authorize(Permission::AuditRead, &rpc.committee().path)?;
        verify(rpc.pool()).await
    })
    .await
}

/// The `ListAuditEntries` RPC through the service's pipeline, with the same
/// rights as [`verify_chain`].
pub async fn list_entries(
    rpc: &crate::rpc::Rpc,
    request: Request<ListAuditEntriesRequest>,
) -> Result<Response<ListAuditEntriesResponse>, Status> {
    rpc.read(
        request,
        |caller, EntriesPage { resource, page }| async move {
            caller.authorize(Permission::AuditRead, &rpc.committee().path)?;
            list_page(rpc.pool(), &resource, page).await
        },
    )
    .await
}
