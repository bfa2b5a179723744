//! 证明材料 — proof files, stored whole with their SHA-256 and never
//! overwritten. Listings leave the content out; only a download reads it.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Store;

/// One stored proof file, without its content.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EvidenceRow {
    pub evidence_id: Uuid,
    pub application_id: Uuid,
    pub kind: i32,
    pub file_name: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub description: String,
    pub hospital_name: String,
    pub hospital_level: i32,
    pub uploaded_by_id: String,
    pub uploaded_by_name: String,
    pub uploaded_at: OffsetDateTime,
}

const COLUMNS: &str = "evidence_id, application_id, kind, file_name, content_type, sha256,
    size_bytes, description, hospital_name, hospital_level, uploaded_by_id, uploaded_by_name,
    uploaded_at";

/// Which page of an application's files, oldest first.
#[derive(Debug, Clone)]
pub struct EvidenceListing {
    pub application_id: Uuid,
    /// Only this kind.
    pub kind: Option<i32>,
    /// After this file (in upload order).
    pub after: Option<Uuid>,
    pub limit: i64,
}

impl Store {
    /// Stores a file of the application the caller has locked.
    pub async fn insert_evidence(
        tx: &mut PgConnection,
        row: &EvidenceRow,
        content: &[u8],
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO evidence (evidence_id, application_id, kind, file_name, content_type,
                 sha256, size_bytes, description, hospital_name, hospital_level, content,
                 uploaded_by_id, uploaded_by_name, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(row.evidence_id)
        .bind(row.application_id)
        .bind(row.kind)
        .bind(&row.file_name)
        .bind(&row.content_type)
        .bind(&row.sha256)
        .bind(row.size_bytes)
        .bind(&row.description)
        .bind(&row.hospital_name)
        .bind(row.hospital_level)
        .bind(content)
        .bind(&row.uploaded_by_id)
        .bind(&row.uploaded_by_name)
        .bind(row.uploaded_at)
        .execute(tx)
        .await?;
        Ok(())
    }

    /// A page of an application's files in upload order (ties broken by id,
    /// so the page key is a file's id and pages never skip or repeat).
    pub async fn evidence(&self, listing: &EvidenceListing) -> Result<Vec<EvidenceRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM evidence
             WHERE application_id = $1
               AND ($2::int IS NULL OR kind = $2)
               AND ($3::uuid IS NULL OR (uploaded_at, evidence_id) >
                    (SELECT uploaded_at, evidence_id FROM evidence WHERE evidence_id = $3))
             ORDER BY uploaded_at, evidence_id LIMIT $4"
        )))
        .bind(listing.application_id)
        .bind(listing.kind)
        .bind(listing.after)
        .bind(listing.limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One file's description, if it exists.
    pub async fn evidence_file(&self, evidence_id: Uuid) -> Result<Option<EvidenceRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM evidence WHERE evidence_id = $1"
        )))
        .bind(evidence_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// One file's content, read once its reader is authorised and recorded.
    pub async fn evidence_content(&self, evidence_id: Uuid) -> Result<Vec<u8>> {
        Ok(
            sqlx::query_scalar("SELECT content FROM evidence WHERE evidence_id = $1")
                .bind(evidence_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
