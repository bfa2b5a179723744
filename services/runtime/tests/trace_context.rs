//! Trace context crosses a service: the span of an incoming call continues
//! the caller's W3C trace, and what the service sends on carries the same
//! trace with its own span as the parent.

use relief_runtime::config::TelemetrySettings;
use relief_runtime::telemetry;

#[test]
fn an_incoming_trace_is_continued_on_the_way_out() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = runtime.enter();
    let _telemetry = telemetry::init(
        "trace-test",
        &TelemetrySettings {
            level: "info".into(),
            log_format: "json".into(),
            otlp_endpoint: String::new(),
        },
    )
    .expect("telemetry");

    let incoming = http::Request::builder()
        .uri("/relief.ledger.v1.LedgerService/GetMember")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .body(())
        .expect("request");
    let span = telemetry::server_span(&incoming);
    let outgoing = span.in_scope(|| {
        let mut headers = http::HeaderMap::new();
        telemetry::inject_into_headers(&mut headers);
        headers
    });
    let traceparent = outgoing
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .expect("a traceparent goes out");
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(
        parts[1], "4bf92f3577b34da6a3ce929d0e0e4736",
        "the same trace"
    );
    assert_ne!(
        parts[2], "00f067aa0ba902b7",
        "with this service's span as parent"
    );

    // Without an incoming trace, the service starts one of its own.
    let fresh = http::Request::builder()
        .uri("/x/Y")
        .body(())
        .expect("request");
    let span = telemetry::server_span(&fresh);
    let mut headers = http::HeaderMap::new();
    span.in_scope(|| telemetry::inject_into_headers(&mut headers));
    assert!(
        headers.contains_key("traceparent"),
        "a new trace is started and passed on"
    );
}
