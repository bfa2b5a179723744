//! The funds service process (救助资金): configuration in, gRPC out.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = relief_funds::Settings::load()?;
    let _telemetry = relief_runtime::telemetry::init("funds", &settings.runtime.telemetry)?;
    let app = relief_funds::Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "funds service listening");
    app.run_until(relief_runtime::serve::shutdown_signal())
        .await
}
