//! Relief received (帮扶情况) on register rows.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use super::Store;
use crate::domain::relief::ReliefType;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReliefRow {
    pub entry_id: Uuid,
    pub record_id: Uuid,
    pub year: i32,
    pub relief_type: ReliefType,
    pub amount_fen: i64,
    pub voucher_number: String,
    pub disbursement_id: String,
    pub received_on: Date,
    pub recorded_by_id: String,
    pub recorded_by_name: String,
    pub recorded_at: OffsetDateTime,
}

const RELIEF_COLUMNS: &str =
    "entry_id, record_id, year, relief_type, amount_fen, voucher_number, disbursement_id,
    received_on, recorded_by_id, recorded_by_name, recorded_at";

impl Store {
    /// Keeps one relief received; a second entry of one disbursement breaks
    /// `relief_received_one_per_disbursement` (see [`super::REFUSALS`]).
    pub async fn insert_relief(tx: &mut PgConnection, row: &ReliefRow) -> Result<ReliefRow> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO relief_received (entry_id, record_id, year, relief_type, amount_fen, voucher_number,
                disbursement_id, received_on, recorded_by_id, recorded_by_name)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             RETURNING {RELIEF_COLUMNS}"
        )))
        .bind(row.entry_id)
        .bind(row.record_id)
        .bind(row.year)
        .bind(row.relief_type)
        .bind(row.amount_fen)
        .bind(&row.voucher_number)
        .bind(&row.disbursement_id)
        .bind(row.received_on)
        .bind(&row.recorded_by_id)
        .bind(&row.recorded_by_name)
        .fetch_one(&mut *tx)
        .await?)
    }

    /// The relief received on `record_ids`, by record, then year and day.
    pub async fn relief_received(&self, record_ids: &[Uuid]) -> Result<Vec<ReliefRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RELIEF_COLUMNS} FROM relief_received WHERE record_id = ANY($1)
             ORDER BY record_id, year, received_on, entry_id"
        )))
        .bind(record_ids)
        .fetch_all(self.pool())
        .await?)
    }
}
