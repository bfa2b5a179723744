//! A schema from before the runtime's outbox keeps its events: migration 3
//! moves funds' own outbox into the runtime's, delivered or not.

use super::*;

/// A schema from before the runtime's outbox with two events in funds' own
/// outbox — one delivered (to notify and workflow), one still pending after
/// four failed attempts — then migrated to today's.
struct MigratedOldSchema {
    schema: String,
    pool: sqlx::PgPool,
    delivered: uuid::Uuid,
    pending: uuid::Uuid,
}

async fn migrated_old_schema() -> MigratedOldSchema {
    let schema = unique_schema("funds");
    let database = relief_tests::runtime_settings(&schema).database;
    let before_the_move = sqlx::migrate::Migrator::with_migrations(
        relief_funds::MIGRATOR
            .iter()
            .filter(|migration| migration.version < 3)
            .cloned()
            .collect(),
    );
    let pool = relief_runtime::db::connect_and_migrate(&database, &before_the_move)
        .await
        .expect("the schema as it was");
    let (delivered, pending) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    for (event_id, kind) in [(delivered, 2), (pending, 5)] {
        sqlx::query("INSERT INTO outbox (event_id, kind, payload) VALUES ($1, $2, $3)")
            .bind(event_id)
            .bind(kind)
            .bind(vec![8_u8, kind as u8])
            .execute(&pool)
            .await
            .expect("an old event");
    }
    sqlx::query(
        "INSERT INTO outbox_deliveries (event_id, destination, attempts, last_error, delivered_at)
         VALUES ($1, 'notify', 1, '', now()), ($1, 'workflow', 1, '', now()), ($2, 'notify', 4, 'Unavailable: down', NULL)",
    )
    .bind(delivered)
    .bind(pending)
    .execute(&pool)
    .await
    .expect("old deliveries");

    let pool = relief_runtime::db::connect_and_migrate(&database, &relief_funds::MIGRATOR)
        .await
        .expect("migrated");
    MigratedOldSchema {
        schema,
        pool,
        delivered,
        pending,
    }
}

#[tokio::test]
async fn events_of_the_old_outbox_move_to_the_runtime_outbox() {
    let old = migrated_old_schema().await;
    let events: Vec<(uuid::Uuid, String, Vec<u8>)> =
        sqlx::query_as("SELECT event_id, kind, payload FROM event_outbox ORDER BY seq")
            .fetch_all(&old.pool)
            .await
            .expect("moved events");
    assert_eq!(
        events,
        [
            (old.delivered, "ALLOCATION_CREATED".to_owned(), vec![8, 2]),
            (old.pending, "RECEIPT_MISSING".to_owned(), vec![8, 5]),
        ]
    );
}

#[tokio::test]
async fn deliveries_move_with_their_attempts_errors_and_whether_they_were_delivered() {
    let old = migrated_old_schema().await;
    let deliveries: Vec<(uuid::Uuid, String, i32, String, bool)> = sqlx::query_as(
        "SELECT event_id, destination, attempts, last_error, delivered_at IS NOT NULL
         FROM event_deliveries ORDER BY event_id = $1 DESC, destination",
    )
    .bind(old.delivered)
    .fetch_all(&old.pool)
    .await
    .expect("moved deliveries");
    assert_eq!(
        deliveries,
        [
            (old.delivered, "notify".to_owned(), 1, String::new(), true),
            (old.delivered, "workflow".to_owned(), 1, String::new(), true),
            (
                old.pending,
                "notify".to_owned(),
                4,
                "Unavailable: down".to_owned(),
                false
            ),
        ]
    );
}

#[tokio::test]
async fn funds_own_outbox_tables_are_gone_after_the_move() {
    let old = migrated_old_schema().await;
    let old_tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables
         WHERE table_schema = $1 AND table_name IN ('outbox', 'outbox_deliveries')",
    )
    .bind(&old.schema)
    .fetch_one(&old.pool)
    .await
    .expect("tables");
    assert_eq!(old_tables, 0, "funds' own outbox is gone");
}
