//! The notification service process (通知): configuration in, gRPC out.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = relief_notify::Settings::load()?;
    let _telemetry = relief_runtime::telemetry::init("notify", &settings.runtime.telemetry)?;
    let app = relief_notify::Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "notify service listening");
    app.run_until(relief_runtime::serve::shutdown_signal())
        .await
}
