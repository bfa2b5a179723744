//! The W3C trace context of spans when nothing exports them: a trace id and a span id kept in
//! each span's extensions by a small layer, continued from an incoming `traceparent` and passed
//! on in outgoing ones, so logs still carry trace ids and a trace still crosses services.
//!
//! With an OTLP endpoint, OpenTelemetry's layer keeps the context instead. Without one that
//! layer would still build a whole span record for every request span (attributes, times,
//! sampling) only to drop it, which the read path's benchmark showed as a tenth of a service's
//! time.

use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use tracing::Subscriber;
use tracing::span::{Attributes, Id};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// A span's place in its trace: what a `traceparent` header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub flags: TraceFlags,
}

impl TraceParent {
    /// A new span of a new trace, sampled (as an always-on sampler would decide).
    fn root() -> Self {
        TraceParent {
            trace_id: new_trace_id(),
            span_id: new_span_id(),
            flags: TraceFlags::SAMPLED,
        }
    }

    /// A new span in the same trace.
    fn child(&self) -> Self {
        TraceParent {
            span_id: new_span_id(),
            ..*self
        }
    }

    /// Reads a W3C `traceparent` header: `00-<32 hex>-<16 hex>-<2 hex>`, lower case, ids not all
    /// zero. A later version is read by its first four fields, as the recommendation asks.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.split('-');
        let (version, trace_id, span_id, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let lower_hex = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        if !lower_hex(version, 2) || version == "ff" || (version == "00" && parts.next().is_some())
        {
            return None;
        }
        if !lower_hex(trace_id, 32) || !lower_hex(span_id, 16) || !lower_hex(flags, 2) {
            return None;
        }
        let parent = TraceParent {
            trace_id: TraceId::from_hex(trace_id).ok()?,
            span_id: SpanId::from_hex(span_id).ok()?,
            flags: TraceFlags::new(u8::from_str_radix(flags, 16).ok()? & 1),
        };
        (parent.trace_id != TraceId::INVALID && parent.span_id != SpanId::INVALID).then_some(parent)
    }

    /// The `traceparent` header naming this span as the parent.
    pub fn header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            self.trace_id,
            self.span_id,
            self.flags.to_u8()
        )
    }
}

/// A random trace id; all zeros means "none" and is drawn again.
fn new_trace_id() -> TraceId {
    loop {
        let id: u128 = rand::random();
        if id != 0 {
            return TraceId::from_bytes(id.to_be_bytes());
        }
    }
}

/// A random span id; all zeros means "none" and is drawn again.
fn new_span_id() -> SpanId {
    loop {
        let id: u64 = rand::random();
        if id != 0 {
            return SpanId::from_bytes(id.to_be_bytes());
        }
    }
}

/// Gives every new span a [`TraceParent`]: its parent span's trace, or a new one.
pub(super) struct LocalTraceContext;

impl<S> Layer<S> for LocalTraceContext
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let context = span
            .parent()
            .and_then(|parent| parent.extensions().get::<TraceParent>().copied())
            .map_or_else(TraceParent::root, |parent| parent.child());
        span.extensions_mut().insert(context);
    }
}

/// The trace context `span` has from [`LocalTraceContext`]; `None` when that layer is not
/// installed (OpenTelemetry's keeps it) or the span is disabled.
pub(super) fn of(span: &tracing::Span) -> Option<TraceParent> {
    span.with_subscriber(|(id, dispatch)| {
        let registry = dispatch.downcast_ref::<tracing_subscriber::Registry>()?;
        let data = registry.span(id)?;
        data.extensions().get::<TraceParent>().copied()
    })
    .flatten()
}

/// Makes `span` continue the caller's trace `parent`; false when the span has no local trace
/// context to change (OpenTelemetry's layer keeps it, or the span is disabled).
pub(super) fn continue_trace(span: &tracing::Span, parent: TraceParent) -> bool {
    span.with_subscriber(|(id, dispatch)| {
        let Some(data) = dispatch
            .downcast_ref::<tracing_subscriber::Registry>()
            .and_then(|registry| registry.span(id))
        else {
            return false;
        };
        let mut extensions = data.extensions_mut();
        match extensions.get_mut::<TraceParent>() {
            Some(context) => {
                context.trace_id = parent.trace_id;
                context.flags = parent.flags;
                true
            }
            None => false,
        }
    })
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;

    use super::*;

    #[test]
    fn a_traceparent_is_read_only_when_well_formed() {
        let good = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parent = TraceParent::parse(good).expect("well formed");
        assert_eq!(
            parent.trace_id.to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(parent.span_id.to_string(), "00f067aa0ba902b7");
        assert!(parent.flags.is_sampled());
        assert_eq!(parent.header(), good);
        assert!(
            TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-later")
                .is_some(),
            "a later version is read by its first fields"
        );
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
        ] {
            assert_eq!(TraceParent::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn spans_share_their_parents_trace_and_have_their_own_ids() {
        let dispatch =
            tracing::Dispatch::new(tracing_subscriber::registry().with(LocalTraceContext));
        tracing::dispatcher::with_default(&dispatch, || {
            let outer = tracing::info_span!("outer");
            let inner = outer.in_scope(|| tracing::info_span!("inner"));
            let other = tracing::info_span!("other");
            let (outer, inner, other) = (
                of(&outer).expect("outer"),
                of(&inner).expect("inner"),
                of(&other).expect("other"),
            );
            assert_eq!(outer.trace_id, inner.trace_id);
            assert_ne!(outer.span_id, inner.span_id);
            assert_ne!(outer.trace_id, other.trace_id, "a root starts a trace");

            let caller =
                TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
                    .expect("well formed");
            let served = tracing::info_span!("served");
            assert!(continue_trace(&served, caller));
            let child = served.in_scope(|| tracing::info_span!("child"));
            let (served, child) = (of(&served).expect("served"), of(&child).expect("child"));
            assert_eq!(served.trace_id, caller.trace_id);
            assert_ne!(served.span_id, caller.span_id);
            assert!(!served.flags.is_sampled(), "the caller's decision is kept");
            assert_eq!(child.trace_id, caller.trace_id);
        });
    }
}
