//! The requests that open, renew and end a session, parsed: every bad field
//! named at once. These RPCs are open to callers without a token and are not
//! replayed by `request_id` (a Refresh has its own sealed replay).

use relief_proto::gateway::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::text::MAX_TITLE;

/// The longest password the policy accepts (see `password`), in characters.
const MAX_PASSWORD: usize = 128;
/// The longest token (an external JWT, a refresh token) taken, in characters.
const MAX_TOKEN: usize = 16 * 1024;

/// These RPCs take a `request_id` but do not require one; one given follows
/// the rule of every request id.
fn optional_request_id(request_id: &str, violations: &mut FieldViolations) {
    if !request_id.is_empty() {
        violations.check_request_id(request_id);
    }
}

/// A login name and password (`Login`).
pub struct Credentials {
    /// Trimmed.
    pub login_name: String,
    pub password: String,
}

impl TryFrom<pb::LoginRequest> for Credentials {
    type Error = FieldViolations;

    fn try_from(request: pb::LoginRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let login_name = request.login_name.trim().to_owned();
        violations.check_required_line("login_name", &request.login_name, MAX_TITLE, "required");
        optional_request_id(&request.request_id, &mut violations);
        violations.check(request.password.is_empty(), "password", "required");
        // Never a password the policy accepts (nor worth hashing).
        violations.check(
            request.password.chars().count() > MAX_PASSWORD,
            "password",
            "at most 128 characters",
        );
        violations.then(|| Credentials {
            login_name,
            password: request.password,
        })
    }
}

/// An external identity provider's token, to exchange (`ExchangeToken`).
pub struct ExternalToken(pub String);

impl TryFrom<pb::ExchangeTokenRequest> for ExternalToken {
    type Error = FieldViolations;

    fn try_from(request: pb::ExchangeTokenRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check(
            request.external_token.is_empty(),
            "external_token",
            "required",
        );
        violations.check_line("external_token", &request.external_token, MAX_TOKEN);
        violations.then(|| ExternalToken(request.external_token))
    }
}

/// A refresh token to rotate (`Refresh`).
pub struct Renewal {
    pub refresh_token: String,
    /// When given, a retry with the same id and token gets the same answer.
    pub request_id: Option<String>,
}

impl TryFrom<pb::RefreshRequest> for Renewal {
    type Error = FieldViolations;

    fn try_from(request: pb::RefreshRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check(
            request.refresh_token.is_empty(),
            "refresh_token",
            "required",
        );
        violations.check_line("refresh_token", &request.refresh_token, MAX_TOKEN);
        optional_request_id(&request.request_id, &mut violations);
        violations.then(|| Renewal {
            refresh_token: request.refresh_token,
            request_id: (!request.request_id.is_empty()).then_some(request.request_id),
        })
    }
}

/// Which sessions to end (`Logout`): the refresh token's, else the access
/// token's own, or with `all_sessions` every session of the caller.
pub struct Farewell {
    pub refresh_token: Option<String>,
    pub all_sessions: bool,
}

impl TryFrom<pb::LogoutRequest> for Farewell {
    type Error = FieldViolations;

    fn try_from(request: pb::LogoutRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check_line("refresh_token", &request.refresh_token, MAX_TOKEN);
        optional_request_id(&request.request_id, &mut violations);
        violations.then(|| Farewell {
            refresh_token: (!request.refresh_token.is_empty()).then_some(request.refresh_token),
            all_sessions: request.all_sessions,
        })
    }
}

/// `WhoAmI` asks nothing but the caller.
pub struct WhoAmI;

impl TryFrom<pb::WhoAmIRequest> for WhoAmI {
    type Error = FieldViolations;

    fn try_from(_: pb::WhoAmIRequest) -> Result<Self, FieldViolations> {
        Ok(WhoAmI)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_names_every_missing_field() {
        let Err(violations) = Credentials::try_from(pb::LoginRequest {
            login_name: "  ".into(),
            ..Default::default()
        }) else {
            panic!("accepted an empty login");
        };
        let fields: Vec<&str> = violations.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["login_name", "password"]);
    }
}
