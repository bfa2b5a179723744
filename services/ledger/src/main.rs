//! The ledger service process (台账): configuration in, gRPC out.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = relief_ledger::Settings::load()?;
    let _telemetry = relief_runtime::telemetry::init("ledger", &settings.runtime.telemetry)?;
    let app = relief_ledger::Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "ledger service listening");
    app.run_until(relief_runtime::serve::shutdown_signal())
        .await
}
