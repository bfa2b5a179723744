//! The requests that create, read, change and list users, parsed: every bad
//! field named at once, by the rules a user's fields follow.

use relief_proto::gateway::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use relief_runtime::text::{self, Lines, MAX_LINE, MAX_REASON, MAX_TITLE};
use uuid::Uuid;

use super::{password, roles};

/// 3–40 characters: letters, digits, '.', '_' or '-'.
pub fn valid_login_name(login_name: &str) -> bool {
    (3..=40).contains(&login_name.len())
        && login_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
}

/// Required, at most 50 characters.
pub fn valid_display_name(display_name: &str) -> bool {
    !display_name.trim().is_empty() && display_name.chars().count() <= 50
}

/// Empty, or an address of at most 100 characters.
pub fn valid_email(email: &str) -> bool {
    email.is_empty() || (email.contains('@') && email.len() <= 100)
}

/// Empty, or an 11-digit mainland mobile number.
pub fn valid_mobile(mobile: &str) -> bool {
    mobile.is_empty()
        || (mobile.len() == 11
            && mobile.starts_with('1')
            && mobile.chars().all(|c| c.is_ascii_digit()))
}

const DISPLAY_NAME: &str = "required, at most 50 characters";

/// The free text of a user (display name, e-mail): no control characters
/// (the runtime's text rule), whatever else their own rules say.
fn check_texts(user: &pb::User, violations: &mut FieldViolations) {
    for (field, value) in [
        ("user.display_name", &user.display_name),
        ("user.email", &user.email),
    ] {
        if let Some(c) = text::forbidden_char(value, Lines::One) {
            violations.add(
                field,
                format!("contains a control character (U+{:04X})", u32::from(c)),
            );
        }
    }
}
const EMAIL: &str = "not an e-mail address";
const MOBILE: &str = "an 11-digit mobile number";
const MEMBER_ID: &str = "must be the UUID of a member of the register";

/// A new user (`CreateUser`), who must change the initial password.
pub struct NewUser {
    pub login_name: String,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    pub member_id: Option<String>,
    pub initial_password: String,
}

impl TryFrom<pb::CreateUserRequest> for NewUser {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateUserRequest) -> Result<Self, FieldViolations> {
        let user = request.user.unwrap_or_default();
        let mut violations = FieldViolations::new();
        let login_name = user.login_name.trim().to_owned();
        if !valid_login_name(&login_name) {
            violations.add(
                "user.login_name",
                "3–40 characters: letters, digits, '.', '_' or '-'",
            );
        }
        violations.check(
            !valid_display_name(&user.display_name),
            "user.display_name",
            DISPLAY_NAME,
        );
        violations.check(!valid_email(&user.email), "user.email", EMAIL);
        violations.check(!valid_mobile(&user.mobile), "user.mobile", MOBILE);
        check_texts(&user, &mut violations);
        violations.check(
            user.member_id
                .as_deref()
                .is_some_and(|id| Uuid::parse_str(id).is_err()),
            "user.member_id",
            MEMBER_ID,
        );
        if let Some(why) = password::policy_violation(&request.initial_password, &login_name) {
            violations.add("initial_password", why);
        }
        violations.then(|| NewUser {
            login_name,
            display_name: user.display_name.trim().to_owned(),
            email: user.email.trim().to_owned(),
            mobile: user.mobile.trim().to_owned(),
            member_id: user.member_id,
            initial_password: request.initial_password,
        })
    }
}

/// One user to read (`GetUser`).
pub struct UserQuery {
    pub user_id: Uuid,
}

impl TryFrom<pb::GetUserRequest> for UserQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::GetUserRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let user_id = ids::uuid(&request.user_id, "user_id", &mut violations);
        match user_id {
            Some(user_id) if violations.is_empty() => Ok(UserQuery { user_id }),
            _ => Err(violations),
        }
    }
}

/// A page of users (`ListUsers`).
pub struct UserListing {
    /// Only users bound inside this organisation's subtree.
    pub org_id: Option<i64>,
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    pub query: String,
    pub member_id: String,
    /// After the last user of the previous page, by id: its token carries no
    /// login name.
    pub page: Page<Uuid>,
}

impl TryFrom<pb::ListUsersRequest> for UserListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListUsersRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let org_id = ids::optional_org_id(request.org_id, "org_id", &mut violations);
        let page = Page::parse("ListUsers", &request, &mut violations);
        let role = roles::filter(request.role, "role", &mut violations);
        violations.check_line("query", &request.query, MAX_LINE);
        violations.check_line("member_id", &request.member_id, MAX_TITLE);
        violations.then(|| UserListing {
            org_id,
            role,
            enabled: request.enabled,
            query: request.query.trim().to_owned(),
            member_id: request.member_id.trim().to_owned(),
            page,
        })
    }
}

/// Fields of a user an administrator may change (`UpdateUser`).
pub const CHANGEABLE: [&str; 4] = ["display_name", "email", "mobile", "member_id"];

/// A change to the fields named in the update mask (`UpdateUser`).
pub struct UserChange {
    pub user_id: Uuid,
    pub version: i64,
    /// The update mask's paths, each one of [`CHANGEABLE`].
    pub fields: Vec<String>,
    pub display_name: String,
    pub email: String,
    pub mobile: String,
    /// `None` unlinks the user from the register.
    pub member_id: Option<String>,
}

impl UserChange {
    pub fn changes(&self, field: &str) -> bool {
        self.fields.iter().any(|path| path == field)
    }
}

impl TryFrom<pb::UpdateUserRequest> for UserChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateUserRequest) -> Result<Self, FieldViolations> {
        let user = request.user.unwrap_or_default();
        let fields = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        let has = |name: &str| fields.iter().any(|path| path == name);
        let mut violations = FieldViolations::new();
        violations.check(
            fields.is_empty(),
            "update_mask",
            "required: the fields to change",
        );
        for path in &fields {
            if !CHANGEABLE.contains(&path.as_str()) {
                violations.add("update_mask", format!("{path} cannot be changed here"));
            }
        }
        let user_id = ids::uuid(&user.user_id, "user.user_id", &mut violations);
        let version = ids::etag(&user.etag, "user.etag", &mut violations);
        violations.check(
            has("display_name") && !valid_display_name(&user.display_name),
            "user.display_name",
            DISPLAY_NAME,
        );
        violations.check(
            has("email") && !valid_email(&user.email),
            "user.email",
            EMAIL,
        );
        violations.check(
            has("mobile") && !valid_mobile(&user.mobile),
            "user.mobile",
            MOBILE,
        );
        check_texts(&user, &mut violations);
        let member_id = user.member_id.filter(|id| !id.is_empty());
        violations.check(
            has("member_id")
                && member_id
                    .as_deref()
                    .is_some_and(|id| Uuid::parse_str(id).is_err()),
            "user.member_id",
            MEMBER_ID,
        );
        match (user_id, version) {
            (Some(user_id), Some(version)) if violations.is_empty() => Ok(UserChange {
                user_id,
                version,
                fields,
                display_name: user.display_name.trim().to_owned(),
                email: user.email.trim().to_owned(),
                mobile: user.mobile.trim().to_owned(),
                member_id,
            }),
            _ => Err(violations),
        }
    }
}

/// A new password (`SetPassword`): the user's own, proven with the current
/// one, or an administrator's reset.
pub struct PasswordChange {
    pub user_id: Uuid,
    pub current_password: String,
    pub new_password: String,
    /// After a reset by an administrator: must the user change it at once?
    pub require_change: bool,
}

impl TryFrom<pb::SetPasswordRequest> for PasswordChange {
    type Error = FieldViolations;

    fn try_from(request: pb::SetPasswordRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let user_id = ids::uuid(&request.user_id, "user_id", &mut violations);
        violations.check(request.new_password.is_empty(), "new_password", "required");
        match user_id {
            Some(user_id) if violations.is_empty() => Ok(PasswordChange {
                user_id,
                current_password: request.current_password,
                new_password: request.new_password,
                require_change: request.require_change,
            }),
            _ => Err(violations),
        }
    }
}

/// Disabling (ending every session) or enabling a user (`DisableUser`,
/// `EnableUser`), with the reason.
pub struct Enablement {
    pub user_id: Uuid,
    pub version: i64,
    pub reason: String,
    pub enabled: bool,
}

impl Enablement {
    fn parse(
        user_id: &str,
        etag: &str,
        reason: &str,
        enabled: bool,
    ) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let user_id = ids::uuid(user_id, "user_id", &mut violations);
        let version = ids::etag(etag, "etag", &mut violations);
        violations.check_required_line("reason", reason, MAX_REASON, "required");
        match (user_id, version) {
            (Some(user_id), Some(version)) if violations.is_empty() => Ok(Enablement {
                user_id,
                version,
                reason: reason.trim().to_owned(),
                enabled,
            }),
            _ => Err(violations),
        }
    }
}

impl TryFrom<pb::DisableUserRequest> for Enablement {
    type Error = FieldViolations;

    fn try_from(request: pb::DisableUserRequest) -> Result<Self, FieldViolations> {
        Enablement::parse(&request.user_id, &request.etag, &request.reason, false)
    }
}

impl TryFrom<pb::EnableUserRequest> for Enablement {
    type Error = FieldViolations;

    fn try_from(request: pb::EnableUserRequest) -> Result<Self, FieldViolations> {
        Enablement::parse(&request.user_id, &request.etag, &request.reason, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(violations: &FieldViolations) -> Vec<&str> {
        violations.iter().map(|(field, _)| field).collect()
    }

    #[test]
    fn a_new_user_names_every_bad_field() {
        let Err(violations) = NewUser::try_from(pb::CreateUserRequest {
            user: Some(pb::User {
                login_name: "x".into(),
                email: "nowhere".into(),
                mobile: "123".into(),
                member_id: Some("m".into()),
                ..Default::default()
            }),
            initial_password: "short".into(),
            ..Default::default()
        }) else {
            panic!("accepted a bad user");
        };
        assert_eq!(
            fields(&violations),
            [
                "user.login_name",
                "user.display_name",
                "user.email",
                "user.mobile",
                "user.member_id",
                "initial_password"
            ]
        );
    }

    #[test]
    fn a_change_checks_only_the_masked_fields() {
        let request = |paths: &[&str]| pb::UpdateUserRequest {
            user: Some(pb::User {
                user_id: Uuid::nil().to_string(),
                etag: "3".into(),
                mobile: "not a phone".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|path| path.to_string()).collect(),
            }),
            ..Default::default()
        };
        let change = UserChange::try_from(request(&["email"])).expect("mobile not masked");
        assert!(change.changes("email") && !change.changes("mobile"));
        let Err(violations) = UserChange::try_from(request(&["mobile", "login_name"])) else {
            panic!("accepted a bad mobile");
        };
        assert_eq!(fields(&violations), ["update_mask", "user.mobile"]);
    }

    #[test]
    fn rules_of_the_fields() {
        assert!(valid_mobile("") && valid_mobile("13800000000"));
        assert!(!valid_mobile("23800000000") && !valid_mobile("1380000000"));
        assert!(valid_login_name("staff.a") && !valid_login_name("张三"));
        assert!(!valid_email(&format!("{}@x.cn", "a".repeat(100))));
    }
}
