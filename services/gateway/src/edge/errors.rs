//! Errors as JSON callers see them (Google's error model): the HTTP status,
//! the gRPC code's name and number, the message, the field violations and the
//! service's ErrorInfo.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use tonic::{Code, Status};
use tonic_types::{ErrorInfo, StatusExt};

/// The HTTP status for a gRPC code: the runtime's one mapping
/// (`relief_runtime::error::http_status`).
pub fn http_status(code: Code) -> StatusCode {
    StatusCode::from_u16(relief_runtime::error::http_status(code))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// `INVALID_ARGUMENT` and friends as the upper-case names clients switch on.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// The JSON error body (Google's error model): code, status, message, and
/// the bad fields when there are any. An error the gateway answers itself
/// (bad JSON, a body too large, a rate limit) carries the reason a service
/// would give: `INVALID_FIELDS` for named fields, else the status's name.
pub fn error_response(
    status: StatusCode,
    code: Code,
    message: &str,
    violations: Vec<(String, String)>,
) -> Response {
    let reason = if violations.is_empty() {
        code_name(code)
    } else {
        "INVALID_FIELDS"
    };
    let info = ErrorInfo {
        reason: reason.to_owned(),
        domain: relief_runtime::error::ERROR_DOMAIN.to_owned(),
        metadata: [("service".to_owned(), "gateway".to_owned())].into(),
    };
    error_body(status, code, message, violations, info)
}

fn error_body(
    status: StatusCode,
    code: Code,
    message: &str,
    violations: Vec<(String, String)>,
    info: ErrorInfo,
) -> Response {
    // The field violations stay first, where clients have found them so far.
    let mut details = Vec::new();
    if !violations.is_empty() {
        details.push(serde_json::json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": violations
                .into_iter()
                .map(|(field, description)| serde_json::json!({ "field": field, "description": description }))
                .collect::<Vec<_>>(),
        }));
    }
    details.push(serde_json::json!({
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": info.reason,
        "domain": info.domain,
        "metadata": info.metadata,
    }));
    let body = serde_json::json!({
        "error": {
            "code": status.as_u16(),
            "status": code_name(code),
            "grpcCode": code as i32,
            "message": message,
            "details": details
        }
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A service's answer as JSON, with its own ErrorInfo when it gave one.
pub(super) fn status_error(status: &Status) -> Response {
    let violations = relief_runtime::error::field_violations(status);
    let mut response = match status.get_details_error_info() {
        Some(info) => error_body(
            http_status(status.code()),
            status.code(),
            status.message(),
            violations,
            info,
        ),
        None => error_response(
            http_status(status.code()),
            status.code(),
            status.message(),
            violations,
        ),
    };
    if let Some(delay) = status
        .get_details_retry_info()
        .and_then(|info| info.retry_delay)
        && let Ok(value) = HeaderValue::from_str(&delay.as_secs().max(1).to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(super) fn bad_request(field: &str, description: &str) -> Response {
    error_response(
        StatusCode::BAD_REQUEST,
        Code::InvalidArgument,
        &format!("{field}: {description}"),
        vec![(field.to_owned(), description.to_owned())],
    )
}
