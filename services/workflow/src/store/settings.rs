//! The workflow settings row (one), or the defaults while nobody changed them.

use relief_proto::common::v1::Actor;
use relief_runtime::error::{Error, Result};
use sqlx::PgConnection;
use sqlx::types::Json;
use time::OffsetDateTime;

use super::Store;
use crate::domain::settings::FlowSettings;

/// The settings with who changed them last and their version (0: the
/// defaults, never changed).
#[derive(Debug, Clone)]
pub struct StoredSettings {
    pub settings: FlowSettings,
    pub changed_by: Option<Actor>,
    pub changed_at: Option<OffsetDateTime>,
    pub version: i64,
}

impl Store {
    /// The settings in force.
    pub async fn flow_settings(conn: &mut PgConnection) -> Result<FlowSettings> {
        Ok(Self::stored_settings(conn).await?.settings)
    }

    /// The settings in force, with their change stamp and version.
    pub async fn stored_settings(conn: &mut PgConnection) -> Result<StoredSettings> {
        let row: Option<(Json<FlowSettings>, String, String, OffsetDateTime, i64)> =
            sqlx::query_as(
                "SELECT settings, changed_by_id, changed_by_name, changed_at, version
             FROM workflow_settings WHERE id",
            )
            .fetch_optional(conn)
            .await?;
        Ok(match row {
            Some((settings, id, name, at, version)) => StoredSettings {
                settings: settings.0,
                changed_by: Some(Actor {
                    user_id: id,
                    display_name: name,
                }),
                changed_at: Some(at),
                version,
            },
            None => StoredSettings {
                settings: FlowSettings::default(),
                changed_by: None,
                changed_at: None,
                version: 0,
            },
        })
    }

    /// Writes the settings over `expected` (0: the defaults), the version
    /// one up; `ABORTED` if someone changed them meanwhile.
    pub async fn save_settings(
        tx: &mut PgConnection,
        settings: &FlowSettings,
        actor: &Actor,
        expected: i64,
    ) -> Result<i64> {
        let version: Option<i64> = sqlx::query_scalar(
            "INSERT INTO workflow_settings (id, settings, changed_by_id, changed_by_name, changed_at, version)
             VALUES (true, $1, $2, $3, now(), 1)
             ON CONFLICT (id) DO UPDATE SET settings = $1, changed_by_id = $2, changed_by_name = $3,
                 changed_at = now(), version = workflow_settings.version + 1
             WHERE workflow_settings.version = $4
             RETURNING version",
        )
        .bind(Json(settings))
        .bind(&actor.user_id)
        .bind(&actor.display_name)
        .bind(expected)
        .fetch_optional(tx)
        .await?;
        match version {
            // A first write over the defaults must have been asked over them.
            Some(1) if expected != 0 => Err(Error::EtagMismatch("the workflow settings".into())),
            Some(version) => Ok(version),
            None => Err(Error::EtagMismatch("the workflow settings".into())),
        }
    }
}
