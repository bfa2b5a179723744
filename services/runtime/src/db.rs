//! The service's own PostgreSQL schema: a pool whose `search_path` is that
//! schema and nothing else, and migrations run into it at start-up.

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgPool};

use crate::config::DatabaseSettings;

/// The runtime's own tables in every service's schema (idempotency keys,
/// audit chain, outbox), versioned like the service's own and run first.
static RUNTIME_MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A pooled connection idle for longer than this is pinged before it is handed out; one in use
/// more recently is handed out at once. sqlx's default pings before every use — one more round
/// trip to the server on every request — to catch a connection the server closed meanwhile,
/// which happens after a restart or when a proxy drops idle connections, hardly within a second
/// of the connection's last use (HikariCP skips its check the same way, within half a second).
/// If it does, the request fails as `UNAVAILABLE` and may be sent again.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

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
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await?;

    // Replicas of one service may start together: one of them creates the
    // schema while the others wait.
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
    tx.commit().await?;

    migrate(&pool, schema, &RUNTIME_MIGRATOR, "_runtime_migrations").await?;
    migrate(&pool, schema, migrator, "_sqlx_migrations").await?;
    Ok(pool)
}

/// Runs `migrator` into `schema`, recording it in `schema.table`.
async fn migrate(
    pool: &PgPool,
    schema: &str,
    migrator: &Migrator,
    table: &str,
) -> anyhow::Result<()> {
    // Without create_schema, `_sqlx_migrations` would land in `public` and be
    // shared between services.
    let mut migrator = Migrator::with_migrations(migrator.iter().cloned().collect());
    migrator.create_schema(schema.to_owned());
    migrator.dangerous_set_table_name(format!("{schema}.{table}"));
    migrator.run(pool).await?;
    Ok(())
}
