//! The gateway process: the one door for web frontends and outside clients.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = relief_gateway::Settings::load()?;
    let _telemetry = relief_runtime::telemetry::init("gateway", &settings.runtime.telemetry)?;
    let app = relief_gateway::Application::build(settings).await?;
    tracing::info!(grpc = %app.grpc_addr(), http = %app.http_addr(), "gateway listening");
    app.run_until(relief_runtime::serve::shutdown_signal())
        .await
}
