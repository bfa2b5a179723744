//! Logs and traces: JSON logs carrying trace ids, OpenTelemetry spans exported
//! over OTLP when an endpoint is configured, and W3C trace context carried in
//! gRPC metadata in both directions.
//!
//! Every request gets a span, and the span costs little: its fields are all known when it is
//! made (a field recorded later makes the JSON log layer parse and print the span's fields
//! again), and the trace id is looked up only when a log line is written.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::TelemetrySettings;

mod context;
mod json;

use context::{LocalTraceContext, TraceParent};
use json::json_lines;

/// Keeps the tracer provider alive; dropping it flushes pending spans and log lines.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    lines: Option<BatchedStdout>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("telemetry: flushing spans failed: {err}");
        }
        if let Some(lines) = self.lines.take() {
            lines.flush();
        }
    }
}

/// Log lines on their way to stdout, written in batches: a line is copied into a buffer, and
/// the buffer is written when it holds 64 KiB, every 100 ms, and when the process stops —
/// one write for many lines, instead of one per line (the gateway logs every request).
#[derive(Clone)]
struct BatchedStdout(Arc<Mutex<Vec<u8>>>);

impl BatchedStdout {
    const FULL: usize = 64 * 1024;
    const EVERY: Duration = Duration::from_millis(100);

    /// A buffer, and a thread that writes it out every [`Self::EVERY`] while it is in use.
    fn start() -> Self {
        let lines = BatchedStdout(Arc::new(Mutex::new(Vec::with_capacity(Self::FULL))));
        let weak = Arc::downgrade(&lines.0);
        let _ = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                while let Some(buffer) = weak.upgrade() {
                    BatchedStdout(buffer).flush();
                    std::thread::sleep(Self::EVERY);
                }
            });
        lines
    }

    fn flush(&self) {
        let pending = match self.0.lock() {
            Ok(mut buffer) if !buffer.is_empty() => std::mem::take(&mut *buffer),
            _ => return,
        };
        let _ = std::io::stdout().lock().write_all(&pending);
    }
}

impl Write for BatchedStdout {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let full = match self.0.lock() {
            Ok(mut buffer) => {
                buffer.extend_from_slice(line);
                buffer.len() >= Self::FULL
            }
            // A panic while holding the buffer: write past it.
            Err(_) => return std::io::stdout().write(line),
        };
        if full {
            BatchedStdout::flush(self);
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        BatchedStdout::flush(self);
        Ok(())
    }
}

/// Installs the global subscriber for a service process. Call once, inside the
/// Tokio runtime (the OTLP exporter needs it). A second call (tests start many
/// services in one process) keeps the first subscriber.
pub fn init(service_name: &str, settings: &TelemetrySettings) -> anyhow::Result<TelemetryGuard> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));

    // Spans exported over OTLP are OpenTelemetry's, with their attributes; otherwise a span
    // carries only its trace context (see `context`), which is all the logs and the services
    // called next need.
    let provider = (!settings.otlp_endpoint.is_empty())
        .then(|| -> anyhow::Result<SdkTracerProvider> {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_tonic()
                .with_endpoint(settings.otlp_endpoint.clone())
                .build()?;
            Ok(SdkTracerProvider::builder()
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(service_name.to_owned())
                        .build(),
                )
                .with_batch_exporter(exporter)
                .build())
        })
        .transpose()?;
    // Code location, thread names and busy/idle times of the one span a request has say
    // nothing, and cost on every request (the thread name is copied into every span), as does
    // making the span's context current at every poll (trace context is passed on from the
    // span itself, see `inject_current_context`). Warnings and errors become events of their
    // span; informational lines (the gateway's access line on every request) stay in the log.
    let otel_layer = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer(service_name.to_owned()))
            .with_location(false)
            .with_threads(false)
            .with_tracked_inactivity(false)
            .with_context_activation(false)
            .with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
                metadata.is_span() || *metadata.level() <= tracing::Level::WARN
            }))
    });
    let local_context = provider.is_none().then_some(LocalTraceContext);
    let logging = Arc::new(OnceLock::new());
    let lines = BatchedStdout::start();
    let fmt_layer = if settings.log_format == "json" {
        let lines = lines.clone();
        json_lines(logging.clone(), move || lines.clone()).boxed()
    } else {
        tracing_subscriber::fmt::layer().compact().boxed()
    };
    let dispatch = tracing::Dispatch::new(
        tracing_subscriber::registry()
            .with(filter)
            .with(otel_layer)
            .with(local_context)
            .with(fmt_layer),
    );
    let _ = logging.set(dispatch.downgrade());
    let installed = tracing::dispatcher::set_global_default(dispatch).is_ok();
    if installed && let Some(provider) = &provider {
        opentelemetry::global::set_tracer_provider(provider.clone());
    }
    Ok(TelemetryGuard {
        provider,
        lines: (installed && settings.log_format == "json").then_some(lines),
    })
}

/// Reads W3C `traceparent`/`tracestate` from incoming metadata.
struct MetadataExtractor<'a>(&'a http::HeaderMap);

impl Extractor for MetadataExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

/// Writes the current trace context into outgoing metadata.
struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The id of a request: the caller's `x-request-id` when it is sane (1–128 visible ASCII
/// characters), else a new UUID.
pub fn request_id(headers: &http::HeaderMap) -> http::HeaderValue {
    headers
        .get(REQUEST_ID)
        .filter(|value| {
            let bytes = value.as_bytes();
            !bytes.is_empty() && bytes.len() <= 128 && bytes.iter().all(u8::is_ascii_graphic)
        })
        .cloned()
        .unwrap_or_else(new_request_id)
}

/// A random (version 4) UUID, drawn from the thread's generator rather than the kernel's.
fn new_request_id() -> http::HeaderValue {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    http::HeaderValue::from_str(id.hyphenated().encode_lower(&mut text))
        .unwrap_or_else(|_| http::HeaderValue::from_static("invalid"))
}

pub const REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-request-id");

/// The server span of one gRPC request, a child of the caller's trace when the
/// request carries one.
pub fn server_span(request: &http::Request<()>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    request_span(request.uri().path(), request.headers(), request_id)
}

/// The span of the request to `path` with `headers`, made with every field it will have.
pub fn request_span(path: &str, headers: &http::HeaderMap, request_id: &str) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc.request",
        otel.kind = "server",
        rpc.method = path,
        request_id,
    );
    // Only a request that names a parent needs reading; a malformed parent only costs the
    // link to the caller's trace.
    if let Some(header) = headers.get(TRACEPARENT) {
        let continued = header
            .to_str()
            .ok()
            .and_then(TraceParent::parse)
            .is_some_and(|parent| context::continue_trace(&span, parent));
        if !continued {
            let parent = TraceContextPropagator::new().extract(&MetadataExtractor(headers));
            let _ = span.set_parent(parent);
        }
    }
    span
}

const TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");

/// Puts the current span's trace context into outgoing metadata.
pub fn inject_current_context(metadata: &mut tonic::metadata::MetadataMap) {
    let current = tracing::Span::current();
    if let Some(context) = context::of(&current) {
        if let Ok(value) = tonic::metadata::MetadataValue::try_from(context.header()) {
            metadata.insert("traceparent", value);
        }
        return;
    }
    let context = current.context();
    TraceContextPropagator::new().inject_context(&context, &mut MetadataInjector(metadata));
}

/// Writes the current trace context into outgoing HTTP headers (the
/// gateway's forwarding of raw gRPC requests).
pub fn inject_into_headers(headers: &mut http::HeaderMap) {
    struct HeaderInjector<'a>(&'a mut http::HeaderMap);
    impl Injector for HeaderInjector<'_> {
        fn set(&mut self, key: &str, value: String) {
            if let (Ok(key), Ok(value)) = (
                http::header::HeaderName::from_bytes(key.as_bytes()),
                http::HeaderValue::from_str(&value),
            ) {
                self.0.insert(key, value);
            }
        }
    }
    let current = tracing::Span::current();
    if let Some(context) = context::of(&current) {
        if let Ok(value) = http::HeaderValue::try_from(context.header()) {
            headers.insert(TRACEPARENT, value);
        }
        return;
    }
    let context = current.context();
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt;

    use super::json::Logging;
    use super::*;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut lines) = self.0.lock() {
                lines.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_log_line_in_a_request_carries_its_trace_and_request_ids() {
        let lines = Lines::default();
        let writer = lines.clone();
        let provider = SdkTracerProvider::builder().build();
        let logging: Logging = Arc::new(OnceLock::new());
        let dispatch = tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")))
                .with(json_lines(logging.clone(), move || writer.clone())),
        );
        let _ = logging.set(dispatch.downgrade());
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        tracing::dispatcher::with_default(&dispatch, || {
            let span = request_span("/relief.ledger.v1.LedgerService/GetMember", &headers, "r-1");
            span.in_scope(|| tracing::info!("inside"));
            tracing::info!("outside");
        });
        let written = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        let lines: Vec<serde_json::Value> = written
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        assert_eq!(lines.len(), 2, "{written}");
        assert_eq!(lines[0]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(lines[0]["span"]["request_id"], "r-1");
        assert_eq!(
            lines[0]["span"]["rpc.method"],
            "/relief.ledger.v1.LedgerService/GetMember"
        );
        assert!(lines[1].get("trace_id").is_none(), "no span, no trace id");
        let stamp = lines[0]["timestamp"].as_str().expect("a timestamp");
        let at = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
        assert!(
            (time::OffsetDateTime::now_utc() - at).whole_seconds().abs() < 60,
            "{stamp}"
        );
    }

    #[test]
    fn without_an_exporter_a_log_line_still_carries_the_callers_trace_id() {
        let lines = Lines::default();
        let writer = lines.clone();
        let logging: Logging = Arc::new(OnceLock::new());
        let dispatch = tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(LocalTraceContext)
                .with(json_lines(logging.clone(), move || writer.clone())),
        );
        let mut headers = http::HeaderMap::new();
        headers.insert(
            "traceparent",
            http::HeaderValue::from_static(
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            ),
        );
        tracing::dispatcher::with_default(&dispatch, || {
            let span = request_span("/relief.ledger.v1.LedgerService/GetMember", &headers, "r-2");
            span.in_scope(|| tracing::info!("inside"));
        });
        let written = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        let line: serde_json::Value = serde_json::from_str(written.trim()).expect("a JSON line");
        assert_eq!(line["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(line["span"]["request_id"], "r-2");
    }

    #[test]
    fn span_fields_are_json_whatever_they_hold() {
        let lines = Lines::default();
        let writer = lines.clone();
        let logging: Logging = Arc::new(OnceLock::new());
        let dispatch = tracing::Dispatch::new(
            tracing_subscriber::registry()
                .with(json_lines(logging.clone(), move || writer.clone())),
        );
        let odd = "a \"quoted\" \\ back\nslash\t\u{1}— 台账";
        tracing::dispatcher::with_default(&dispatch, || {
            let span = tracing::info_span!(
                "s",
                text = odd,
                number = -3_i64,
                flag = true,
                shown = %7,
                late = tracing::field::Empty
            );
            span.record("late", 1.5_f64);
            span.in_scope(|| tracing::info!("inside"));
        });
        let written = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("utf-8");
        let line: serde_json::Value = serde_json::from_str(written.trim()).expect("a JSON line");
        assert_eq!(line["span"]["text"], odd);
        assert_eq!(line["span"]["number"], -3);
        assert_eq!(line["span"]["flag"], true);
        assert_eq!(line["span"]["shown"], "7");
        assert_eq!(line["span"]["late"], 1.5);
    }

    #[test]
    fn a_sane_request_id_is_kept_and_any_other_replaced() {
        let mut headers = http::HeaderMap::new();
        headers.insert(REQUEST_ID, http::HeaderValue::from_static("given-1"));
        assert_eq!(request_id(&headers), "given-1");
        for insane in ["", "has space", &"x".repeat(129)] {
            headers.insert(
                REQUEST_ID,
                http::HeaderValue::from_str(insane).expect("a header value"),
            );
            let made = request_id(&headers);
            let made = made.to_str().expect("ascii");
            assert!(uuid::Uuid::parse_str(made).is_ok(), "{insane:?} → {made}");
        }
        headers.remove(REQUEST_ID);
        assert_ne!(request_id(&headers), request_id(&headers), "new ids differ");
    }
}
