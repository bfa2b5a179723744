//! The workflow settings row (one), or the defaults while nobody changed them.

use relief_runtime::error::Result;
use sqlx::PgConnection;
use sqlx::types::Json;

use super::Store;
use crate::domain::settings::FlowSettings;

impl Store {
    /// The settings in force.
    pub async fn flow_settings(conn: &mut PgConnection) -> Result<FlowSettings> {
        let stored: Option<Json<FlowSettings>> =
            sqlx::query_scalar("SELECT settings FROM workflow_settings WHERE id")
                .fetch_optional(conn)
                .await?;
        Ok(stored.map(|json| json.0).unwrap_or_default())
    }
}
