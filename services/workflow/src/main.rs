//! The workflow service process (救助申请流程): configuration in, gRPC out.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = relief_workflow::Settings::load()?;
    let _telemetry = relief_runtime::telemetry::init("workflow", &settings.runtime.telemetry)?;
    let app = relief_workflow::Application::build(settings).await?;
    tracing::info!(address = %app.local_addr(), "workflow service listening");
    app.run_until(relief_runtime::serve::shutdown_signal())
        .await
}
