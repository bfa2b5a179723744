//! The JSON log lines: one line per event, with the current span's fields and
//! the trace id, written as JSON directly (no map of values built per span).

use std::fmt::Write as _;
use std::sync::{Arc, OnceLock};

use opentelemetry::trace::{TraceContextExt as _, TraceId};
use tracing::Subscriber;
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::context::TraceParent;

/// The subscriber a log layer is part of, for looking up the trace id of the span a line is
/// written in (a formatter cannot reach the subscriber it runs in).
pub(super) type Logging = Arc<OnceLock<tracing::dispatcher::WeakDispatch>>;

/// The JSON log layer: one line per event, with the current span's fields and trace id.
pub(super) fn json_lines<S, W>(logging: Logging, writer: W) -> impl Layer<S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .fmt_fields(SpanFieldsJson)
        .event_format(JsonLine { logging })
        .with_writer(writer)
}

/// A span's fields as one JSON object, written as they are visited. tracing-subscriber's
/// `JsonFields` builds a map of JSON values first, for every span — a request's span is made on
/// every request, and most write no log line.
struct SpanFieldsJson;

impl<'writer> FormatFields<'writer> for SpanFieldsJson {
    fn format_fields<R: RecordFields>(
        &self,
        writer: Writer<'writer>,
        fields: R,
    ) -> std::fmt::Result {
        let mut object = JsonObject {
            writer,
            first: true,
            result: Ok(()),
        };
        object.result = object.writer.write_char('{');
        fields.record(&mut object);
        object.result?;
        object.writer.write_char('}')
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> std::fmt::Result {
        if current.fields.pop() != Some('}') {
            current.fields.clear();
            return self.format_fields(current.as_writer(), fields);
        }
        let first = current.fields.ends_with('{');
        let mut object = JsonObject {
            writer: current.as_writer(),
            first,
            result: Ok(()),
        };
        fields.record(&mut object);
        object.result?;
        object.writer.write_char('}')
    }
}

/// Writes visited fields as `"name":value` members of a JSON object.
struct JsonObject<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: std::fmt::Result,
}

impl JsonObject<'_> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> std::fmt::Result) {
        if self.result.is_err() {
            return;
        }
        let separator = if std::mem::take(&mut self.first) {
            ""
        } else {
            ","
        };
        self.result = self
            .writer
            .write_str(separator)
            .and_then(|()| json_string(&mut self.writer, field.name()))
            .and_then(|()| self.writer.write_char(':'))
            .and_then(|()| value(&mut self.writer));
    }
}

impl Visit for JsonObject<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.member(field, |writer| json_string(writer, value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |writer| write!(writer, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if value.is_finite() {
            self.member(field, |writer| write!(writer, "{value}"));
        } else {
            self.member(field, |writer| writer.write_str("null"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.member(field, |writer| {
            writer.write_char('"')?;
            write!(JsonEscaping(writer), "{value:?}")?;
            writer.write_char('"')
        });
    }
}

/// `text` as a JSON string.
fn json_string(writer: &mut Writer<'_>, text: &str) -> std::fmt::Result {
    writer.write_char('"')?;
    JsonEscaping(writer).write_str(text)?;
    writer.write_char('"')
}

/// Writes what it is given escaped for the inside of a JSON string, so a value's `Display` or
/// `Debug` is written straight into the line instead of into a string first.
struct JsonEscaping<'a, 'writer>(&'a mut Writer<'writer>);

impl std::fmt::Write for JsonEscaping<'_, '_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let writer = &mut *self.0;
        let mut plain = 0;
        // Every character that needs escaping is ASCII, and no byte of a multi-byte UTF-8
        // character is, so the text is scanned byte by byte and cut only at ASCII.
        for (at, byte) in text.bytes().enumerate() {
            let escaped = match byte {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                byte if byte < 0x20 => "",
                _ => continue,
            };
            writer.write_str(&text[plain..at])?;
            if escaped.is_empty() {
                write!(writer, "\\u{byte:04x}")?;
            } else {
                writer.write_str(escaped)?;
            }
            plain = at + 1;
        }
        writer.write_str(&text[plain..])
    }
}

/// The time of a line as RFC 3339 in UTC with microseconds, written without the general
/// formatter (every access line has one).
fn timestamp(writer: &mut Writer<'_>, at: time::OffsetDateTime) -> std::fmt::Result {
    write!(
        writer,
        "\"{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z\"",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.microsecond()
    )
}

/// One JSON object per log line, written as it is visited — the shape of tracing-subscriber's
/// JSON lines (`timestamp`, `level`, `fields`, `target`, the current `span`), plus the span's
/// `trace_id`, looked up only for lines that are written. The span's fields are embedded as
/// [`SpanFieldsJson`] wrote them, not parsed and printed again.
struct JsonLine {
    logging: Logging,
}

impl JsonLine {
    /// The trace id OpenTelemetry's layer keeps for `span` (when spans are exported).
    fn trace_id_of(&self, span: &tracing::span::Id) -> Option<TraceId> {
        let dispatch = self.logging.get()?.upgrade()?;
        let context = tracing_opentelemetry::get_otel_context(span, &dispatch)?;
        let trace_id = context.span().span_context().trace_id();
        (trace_id != TraceId::INVALID).then_some(trace_id)
    }
}

impl<S> FormatEvent<S, SpanFieldsJson> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, SpanFieldsJson>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let metadata = event.metadata();
        writer.write_str("{\"timestamp\":")?;
        timestamp(&mut writer, time::OffsetDateTime::now_utc())?;
        write!(writer, ",\"level\":\"{}\",\"fields\":{{", metadata.level())?;
        let mut fields = JsonObject {
            writer: writer.by_ref(),
            first: true,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str("},\"target\":")?;
        json_string(&mut writer, metadata.target())?;
        if let Some(span) = ctx.lookup_current() {
            {
                let extensions = span.extensions();
                let fields = extensions
                    .get::<FormattedFields<SpanFieldsJson>>()
                    .map(|fields| fields.fields.as_str())
                    .and_then(|fields| fields.strip_suffix('}'))
                    .unwrap_or("{");
                writer.write_str(",\"span\":")?;
                writer.write_str(fields)?;
                if fields != "{" {
                    writer.write_char(',')?;
                }
                writer.write_str("\"name\":")?;
                json_string(&mut writer, span.name())?;
                writer.write_char('}')?;
            }
            let local = span
                .extensions()
                .get::<TraceParent>()
                .map(|context| context.trace_id);
            if let Some(trace_id) = local.or_else(|| self.trace_id_of(&span.id())) {
                write!(writer, ",\"trace_id\":\"{trace_id}\"")?;
            }
        }
        writer.write_str("}\n")
    }
}
