//! The contact-preference requests: one's own (or, for operations,
//! another's) read, and one's own changed at the etag read.

use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::Channel;
use relief_runtime::error::FieldViolations;

use super::{channel, non_empty};

/// `GetContactPreferences`: a user (`None`: the caller).
#[derive(Debug, Clone)]
pub struct PreferencesQuery {
    pub user_id: Option<String>,
}

impl TryFrom<pb::GetContactPreferencesRequest> for PreferencesQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::GetContactPreferencesRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check_line("user_id", &request.user_id, 100);
        violations.then(|| PreferencesQuery {
            user_id: non_empty(request.user_id),
        })
    }
}

/// `UpdateContactPreferences`: the fields of the mask, at the etag read
/// (`0`: nothing stored yet).
#[derive(Debug, Clone)]
pub struct PreferencesChange {
    pub user_id: Option<String>,
    pub version: i64,
    pub email: Option<String>,
    pub mobile: Option<String>,
    pub channels: Option<Vec<Channel>>,
}

impl TryFrom<pb::UpdateContactPreferencesRequest> for PreferencesChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateContactPreferencesRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let prefs = request.preferences.unwrap_or_default();
        violations.check_line("preferences.user_id", &prefs.user_id, 100);
        let version = prefs.etag.parse::<i64>().ok().filter(|v| *v >= 0);
        violations.check(
            version.is_none(),
            "preferences.etag",
            "required: the etag from the last read",
        );
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        violations.check(paths.is_empty(), "update_mask", "name the fields to change");
        let (mut email, mut mobile, mut channels) = (None, None, None);
        for path in &paths {
            match path.as_str() {
                "email" => {
                    violations.check_line("preferences.email", &prefs.email, 100);
                    violations.check(
                        !prefs.email.is_empty() && !is_email(&prefs.email),
                        "preferences.email",
                        "not an e-mail address",
                    );
                    email = Some(prefs.email.clone());
                }
                "mobile" => {
                    violations.check(
                        !(prefs.mobile.is_empty() || is_mobile(&prefs.mobile)),
                        "preferences.mobile",
                        "an 11-digit mobile number",
                    );
                    mobile = Some(prefs.mobile.clone());
                }
                "enabled_channels" => {
                    let mut chosen = Vec::new();
                    for (i, value) in prefs.enabled_channels.iter().enumerate() {
                        if let Some(c) = channel(
                            *value,
                            &format!("preferences.enabled_channels[{i}]"),
                            false,
                            &mut violations,
                        ) && !chosen.contains(&c)
                        {
                            chosen.push(c);
                        }
                    }
                    channels = Some(chosen);
                }
                other => violations.add(
                    "update_mask",
                    format!("{other} cannot be changed; paths: email, mobile, enabled_channels"),
                ),
            }
        }
        let Some(version) = version else {
            return Err(violations);
        };
        violations.then(|| PreferencesChange {
            user_id: non_empty(prefs.user_id),
            version,
            email,
            mobile,
            channels,
        })
    }
}

/// A plausible address: one `@`, something either side, a dot after it.
pub fn is_email(value: &str) -> bool {
    match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !value
                    .chars()
                    .any(|c| c.is_whitespace() || c == '<' || c == '>')
        }
        None => false,
    }
}

/// A mainland mobile number: 11 digits starting with 1.
pub fn is_mobile(value: &str) -> bool {
    value.len() == 11 && value.starts_with('1') && value.chars().all(|c| c.is_ascii_digit())
}
