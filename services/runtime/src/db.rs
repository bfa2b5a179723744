//! The service's own PostgreSQL schema: a pool whose `search_path` is that
//! schema and nothing else, and migrations run into it at start-up.

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool};

use crate::config::DatabaseSettings;

/// Tables every service keeps in its own schema for the runtime's mechanisms
/// (idempotency, audit chain). Created before the service's own migrations.
const RUNTIME_DDL: &str = r#"
CREATE TABLE IF NOT EXISTS idempotency_keys (
    request_id   text PRIMARY KEY,
    method       text NOT NULL,
    request_hash text NOT NULL,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS audit_chain (
    seq         bigint PRIMARY KEY,
    at          text NOT NULL,
    actor_id    text NOT NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    resource    text NOT NULL,
    change_json text NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_chain_resource ON audit_chain (resource, seq);
"#;

/// Connects to the service's schema (creating it if needed) and migrates it.
pub async fn connect_and_migrate(
    settings: &DatabaseSettings,
    migrator: &Migrator,
) -> anyhow::Result<PgPool> {
    let schema = settings.schema.as_str();
    anyhow::ensure!(
        !schema.is_empty()
            && schema
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "database.schema must be lower-case letters, digits and underscores, not {schema:?}"
    );
    let options = PgConnectOptions::from_str(settings.url.expose_secret())?
        .options([("search_path", schema)])
        .application_name(schema);
    let pool = PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;

    // Replicas of one service may start together: one of them creates the
    // runtime tables while the others wait.
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
        .bind(format!("relief-runtime-ddl:{schema}"))
        .execute(&mut *tx)
        .await?;
    // The schema name was checked above to be a plain identifier.
    tx.execute(sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}"
    ))))
    .await?;
    tx.execute(sqlx::raw_sql(RUNTIME_DDL)).await?;
    tx.commit().await?;

    // Without create_schema, `_sqlx_migrations` would land in `public` and be
    // shared between services.
    let mut migrator = Migrator::with_migrations(migrator.iter().cloned().collect());
    migrator.create_schema(schema.to_owned());
    migrator.dangerous_set_table_name(format!("{schema}._sqlx_migrations"));
    migrator.run(&pool).await?;
    Ok(pool)
}
