//! Relief standards (救助标准): one amount per year × relief type × hardship
//! category, changed under an etag.

use relief_proto::common::v1::Actor;
use relief_runtime::error::Result;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::Store;
use crate::domain::category::{HardshipCategory, ReliefType};
use crate::domain::commands::StandardChange;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StandardRow {
    pub year: i32,
    #[sqlx(try_from = "i32")]
    pub relief_type: ReliefType,
    #[sqlx(try_from = "i32")]
    pub hardship_category: HardshipCategory,
    pub amount: i64,
    pub note: String,
    pub version: i64,
    pub changed_by_id: String,
    pub changed_by_name: String,
    pub changed_at: OffsetDateTime,
    pub reason: String,
}

const STANDARD_COLUMNS: &str = "year, relief_type, hardship_category, amount, note, version, changed_by_id, changed_by_name, changed_at, reason";

impl StandardRow {
    /// The key the listing pages by: year, then type, then category.
    pub fn sort_key(&self) -> i64 {
        i64::from(self.year) * 100
            + i64::from(self.relief_type.to_i32()) * 10
            + i64::from(self.hardship_category.to_i32())
    }
}

/// A standard to write, and who writes it.
#[derive(Debug, Clone, Copy)]
pub struct StandardWrite<'a> {
    pub change: &'a StandardChange,
    pub by: &'a Actor,
}

impl Store {
    pub async fn standard(
        conn: &mut PgConnection,
        year: i32,
        relief_type: ReliefType,
        category: HardshipCategory,
    ) -> Result<Option<StandardRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STANDARD_COLUMNS} FROM relief_standards
             WHERE year = $1 AND relief_type = $2 AND hardship_category = $3"
        )))
        .bind(year)
        .bind(relief_type.to_i32())
        .bind(category.to_i32())
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Creates the standard; `None` when it exists already.
    pub async fn insert_standard(
        tx: &mut PgConnection,
        write: &StandardWrite<'_>,
    ) -> Result<Option<StandardRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO relief_standards (year, relief_type, hardship_category, amount, note, changed_by_id,
                changed_by_name, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
             RETURNING {STANDARD_COLUMNS}"
        )))
        .bind(write.change.year)
        .bind(write.change.relief_type.to_i32())
        .bind(write.change.category.to_i32())
        .bind(write.change.amount.fen())
        .bind(&write.change.note)
        .bind(&write.by.user_id)
        .bind(&write.by.display_name)
        .bind(&write.change.reason)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// Replaces the standard if it is still at `version`; `None` when not.
    pub async fn update_standard(
        tx: &mut PgConnection,
        write: &StandardWrite<'_>,
        version: i64,
    ) -> Result<Option<StandardRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE relief_standards SET amount = $4, note = $5, changed_by_id = $6, changed_by_name = $7,
                reason = $8, changed_at = now(), version = version + 1
             WHERE year = $1 AND relief_type = $2 AND hardship_category = $3 AND version = $9
             RETURNING {STANDARD_COLUMNS}"
        )))
        .bind(write.change.year)
        .bind(write.change.relief_type.to_i32())
        .bind(write.change.category.to_i32())
        .bind(write.change.amount.fen())
        .bind(&write.change.note)
        .bind(&write.by.user_id)
        .bind(&write.by.display_name)
        .bind(&write.change.reason)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?)
    }

    /// Standards of `year` (0: every year) and `relief_type` (0: every
    /// type) after the sort key `after_key`, by year, type and category.
    pub async fn standards(
        &self,
        year: i32,
        relief_type: i32,
        after_key: i64,
        limit: i64,
    ) -> Result<Vec<StandardRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STANDARD_COLUMNS} FROM relief_standards
             WHERE ($1 = 0 OR year = $1) AND ($2 = 0 OR relief_type = $2)
               AND year * 100 + relief_type * 10 + hardship_category > $3
             ORDER BY year, relief_type, hardship_category LIMIT $4"
        )))
        .bind(year)
        .bind(relief_type)
        .bind(after_key)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
