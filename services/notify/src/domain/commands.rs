//! Requests parsed into what the service acts on, naming every bad field at
//! once (`INVALID_ARGUMENT` with field violations) before anything is read
//! or stored.

use std::collections::BTreeMap;

use relief_proto::notify::v1 as pb;
use relief_proto::notify::v1::{Channel, DeliveryStatus, EventKind, RecipientRole};
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::pagination::Page;
use time::OffsetDateTime;
use uuid::Uuid;

use super::template;

/// Most recipients one event may name, by id or by role.
pub const MAX_RECIPIENTS: usize = 500;
/// Most parameters one event may carry.
pub const MAX_PARAMETERS: usize = 30;
/// A template's subject and body, in characters.
pub const MAX_SUBJECT: usize = 200;
pub const MAX_BODY: usize = 2000;

/// `PublishEvent`: an event to route and deliver.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub event_id: Uuid,
    pub kind: EventKind,
    pub org_id: i64,
    pub recipient_user_ids: Vec<String>,
    /// Roles with the node they are looked for at (`None`: the event's org).
    pub recipient_roles: Vec<(RecipientRole, Option<i64>)>,
    pub parameters: BTreeMap<String, String>,
    pub link: String,
    pub source: String,
    pub occurred_at: Option<OffsetDateTime>,
    pub deliver_at: Option<OffsetDateTime>,
}

impl TryFrom<pb::PublishEventRequest> for NewEvent {
    type Error = FieldViolations;

    fn try_from(request: pb::PublishEventRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let event_id = ids::uuid(&request.event_id, "event_id", &mut violations);
        let kind = event_kind(request.kind, "kind", false, &mut violations);
        let org_id = request.org.as_ref().map_or(0, |org| org.org_id);
        violations.check(
            org_id <= 0,
            "org.org_id",
            "required: the organisation concerned",
        );
        let recipients = request.recipient_user_ids.len() + request.recipient_roles.len();
        violations.check(
            recipients == 0,
            "recipient_user_ids",
            "name at least one recipient, by user id or by role",
        );
        violations.check(
            recipients > MAX_RECIPIENTS,
            "recipient_user_ids",
            "at most 500 recipients by id and role together",
        );
        for (i, user_id) in request.recipient_user_ids.iter().enumerate() {
            violations.check_required_line(
                &format!("recipient_user_ids[{i}]"),
                user_id,
                100,
                "must not be empty",
            );
        }
        let mut recipient_roles = Vec::new();
        for (i, wanted) in request.recipient_roles.iter().enumerate() {
            match RecipientRole::try_from(wanted.role) {
                Ok(RecipientRole::Unspecified) | Err(_) => violations.add(
                    format!("recipient_roles[{i}].role"),
                    "must name a role (RECIPIENT_ROLE_…)",
                ),
                Ok(role) => {
                    let org = ids::optional_org_id(
                        wanted.org_id,
                        &format!("recipient_roles[{i}].org_id"),
                        &mut violations,
                    );
                    recipient_roles.push((role, org));
                }
            }
        }
        violations.check(
            request.parameters.len() > MAX_PARAMETERS,
            "parameters",
            "at most 30 parameters",
        );
        let mut parameters = BTreeMap::new();
        // In name order, so the violations come in the same order every time.
        let given: BTreeMap<String, String> = request.parameters.into_iter().collect();
        for (name, value) in given {
            let field = format!("parameters[{name}]");
            if name.is_empty()
                || name.len() > 50
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                violations.add(
                    field,
                    "a parameter name is lower-case letters, digits and underscores, at most 50",
                );
                continue;
            }
            if template::is_private(&name) {
                violations.add(
                    field,
                    "a private detail (diagnosis, ID number, income) is never sent in a notification",
                );
                continue;
            }
            violations.check_line(&field, &value, 500);
            parameters.insert(name, value);
        }
        violations.check_line("link", &request.link, 500);
        violations.check_required_line(
            "source",
            &request.source,
            50,
            "required: the publishing service",
        );
        let occurred_at = relief_runtime::time::from_timestamp(request.occur_time.as_ref());
        let deliver_at = relief_runtime::time::from_timestamp(request.deliver_time.as_ref());
        violations.check(
            request.deliver_time.is_some() && deliver_at.is_none(),
            "deliver_time",
            "not a valid time",
        );
        let (Some(event_id), Some(kind)) = (event_id, kind) else {
            return Err(violations);
        };
        violations.then(|| NewEvent {
            event_id,
            kind,
            org_id,
            recipient_user_ids: request.recipient_user_ids,
            recipient_roles,
            parameters,
            link: request.link,
            source: request.source,
            occurred_at,
            deliver_at,
        })
    }
}

/// `ListInbox`.
#[derive(Debug, Clone)]
pub struct InboxQuery {
    /// Someone else's inbox (operations only); `None`: the caller's.
    pub recipient: Option<String>,
    pub unread_only: bool,
    pub kind: Option<EventKind>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListInboxRequest> for InboxQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::ListInboxRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListInbox", &request, &mut violations);
        violations.check_line("recipient_user_id", &request.recipient_user_id, 100);
        let kind = event_kind(request.event_kind, "event_kind", true, &mut violations);
        violations.then(|| InboxQuery {
            recipient: non_empty(request.recipient_user_id),
            unread_only: request.unread_only,
            kind,
            page,
        })
    }
}

/// `MarkRead`: some of the caller's messages, or all of them.
#[derive(Debug, Clone)]
pub enum MarkRead {
    These(Vec<Uuid>),
    All,
}

impl TryFrom<pb::MarkReadRequest> for MarkRead {
    type Error = FieldViolations;

    fn try_from(request: pb::MarkReadRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        violations.check(
            request.all && !request.notification_ids.is_empty(),
            "notification_ids",
            "give either notification_ids or all, not both",
        );
        violations.check(
            !request.all && request.notification_ids.is_empty(),
            "notification_ids",
            "name the messages to mark, or set all",
        );
        violations.check(
            request.notification_ids.len() > 500,
            "notification_ids",
            "at most 500 at a time",
        );
        let ids: Vec<Uuid> = request
            .notification_ids
            .iter()
            .enumerate()
            .filter_map(|(i, id)| ids::uuid(id, &format!("notification_ids[{i}]"), &mut violations))
            .collect();
        violations.then(|| {
            if request.all {
                MarkRead::All
            } else {
                MarkRead::These(ids)
            }
        })
    }
}

/// `ListDeliveryAttempts`.
#[derive(Debug, Clone)]
pub struct AttemptQuery {
    pub event_id: Option<Uuid>,
    pub recipient: Option<String>,
    pub channel: Option<Channel>,
    pub status: Option<DeliveryStatus>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListDeliveryAttemptsRequest> for AttemptQuery {
    type Error = FieldViolations;

    fn try_from(request: pb::ListDeliveryAttemptsRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListDeliveryAttempts", &request, &mut violations);
        let event_id = if request.event_id.is_empty() {
            None
        } else {
            ids::uuid(&request.event_id, "event_id", &mut violations)
        };
        violations.check_line("recipient_user_id", &request.recipient_user_id, 100);
        let channel = channel(request.channel, "channel", true, &mut violations);
        let status = match DeliveryStatus::try_from(request.status) {
            Ok(DeliveryStatus::Unspecified) => None,
            Ok(status) => Some(status),
            Err(_) => {
                violations.add("status", "not a DeliveryStatus");
                None
            }
        };
        violations.then(|| AttemptQuery {
            event_id,
            recipient: non_empty(request.recipient_user_id),
            channel,
            status,
            page,
        })
    }
}

/// `GetTemplate`: one event kind on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TemplateKey {
    pub kind: EventKind,
    pub channel: Channel,
}

impl TemplateKey {
    fn parse(
        kind: i32,
        channel_value: i32,
        prefix: &str,
        violations: &mut FieldViolations,
    ) -> Option<Self> {
        let kind = event_kind(kind, &format!("{prefix}event_kind"), false, violations);
        let channel = channel(
            channel_value,
            &format!("{prefix}channel"),
            false,
            violations,
        );
        Some(TemplateKey {
            kind: kind?,
            channel: channel?,
        })
    }
}

impl TryFrom<pb::GetTemplateRequest> for TemplateKey {
    type Error = FieldViolations;

    fn try_from(request: pb::GetTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let key = TemplateKey::parse(request.event_kind, request.channel, "", &mut violations);
        match key {
            Some(key) if violations.is_empty() => Ok(key),
            _ => Err(violations),
        }
    }
}

/// `ListTemplates`.
#[derive(Debug, Clone)]
pub struct TemplateListing {
    pub kind: Option<EventKind>,
    pub channel: Option<Channel>,
    pub page: Page<i64>,
}

impl TryFrom<pb::ListTemplatesRequest> for TemplateListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListTemplatesRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let page = Page::parse("ListTemplates", &request, &mut violations);
        let kind = event_kind(request.event_kind, "event_kind", true, &mut violations);
        let channel = channel(request.channel, "channel", true, &mut violations);
        violations.then(|| TemplateListing {
            kind,
            channel,
            page,
        })
    }
}

/// `UpdateTemplate`: the fields of the mask, at the caller's etag.
#[derive(Debug, Clone)]
pub struct TemplateChange {
    pub key: TemplateKey,
    pub version: i64,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub sms_template_code: Option<String>,
    pub enabled: Option<bool>,
    pub reason: String,
}

impl TryFrom<pb::UpdateTemplateRequest> for TemplateChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let template = request.template.unwrap_or_default();
        let key = TemplateKey::parse(
            template.event_kind,
            template.channel,
            "template.",
            &mut violations,
        );
        let version = ids::etag(&template.etag, "template.etag", &mut violations);
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        violations.check(paths.is_empty(), "update_mask", "name the fields to change");
        let (mut subject, mut body, mut code, mut enabled) = (None, None, None, None);
        for path in &paths {
            match path.as_str() {
                "subject" => {
                    violations.check_line("template.subject", &template.subject, MAX_SUBJECT);
                    for problem in template::check("template.subject", &template.subject) {
                        violations.add(problem.field, problem.description);
                    }
                    subject = Some(template.subject.clone());
                }
                "body" => {
                    violations.check_required_line("template.body", &template.body.replace(['\n', '\t'], " "), MAX_BODY, "required");
                    for problem in template::check("template.body", &template.body) {
                        violations.add(problem.field, problem.description);
                    }
                    body = Some(template.body.clone());
                }
                "sms_template_code" => {
                    violations.check_line("template.sms_template_code", &template.sms_template_code, 50);
                    code = Some(template.sms_template_code.clone());
                }
                "enabled" => enabled = Some(template.enabled),
                other => violations.add(
                    "update_mask",
                    format!("{other} cannot be changed; paths: subject, body, sms_template_code, enabled"),
                ),
            }
        }
        violations.check_required_line(
            "reason",
            &request.reason,
            500,
            "required: why (kept in the audit trail)",
        );
        let (Some(key), Some(version)) = (key, version) else {
            return Err(violations);
        };
        violations.then(|| TemplateChange {
            key,
            version,
            subject,
            body,
            sms_template_code: code,
            enabled,
            reason: request.reason,
        })
    }
}

/// `PreviewTemplate`.
#[derive(Debug, Clone)]
pub struct Preview {
    pub key: TemplateKey,
    pub parameters: BTreeMap<String, String>,
    pub subject: Option<String>,
    pub body: Option<String>,
}

impl TryFrom<pb::PreviewTemplateRequest> for Preview {
    type Error = FieldViolations;

    fn try_from(request: pb::PreviewTemplateRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let key = TemplateKey::parse(request.event_kind, request.channel, "", &mut violations);
        for (field, text) in [("subject", &request.subject), ("body", &request.body)] {
            if let Some(text) = text {
                violations.check_text(field, text, MAX_BODY);
                for problem in template::check(field, text) {
                    violations.add(problem.field, problem.description);
                }
            }
        }
        let given: BTreeMap<&String, &String> = request.parameters.iter().collect();
        for (name, value) in given {
            let field = format!("parameters[{name}]");
            if template::is_private(name) {
                violations.add(field, "a private detail (diagnosis, ID number, income) is never sent in a notification");
            } else {
                violations.check_line(&field, value, 500);
            }
        }
        let Some(key) = key else {
            return Err(violations);
        };
        violations.then(|| Preview {
            key,
            parameters: request.parameters.into_iter().collect(),
            subject: request.subject,
            body: request.body,
        })
    }
}

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

fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

fn event_kind(
    value: i32,
    field: &str,
    optional: bool,
    violations: &mut FieldViolations,
) -> Option<EventKind> {
    match EventKind::try_from(value) {
        Ok(EventKind::Unspecified) if optional => None,
        Ok(EventKind::Unspecified) => {
            violations.add(field, "required: an EventKind");
            None
        }
        Ok(kind) => Some(kind),
        Err(_) => {
            violations.add(field, "not an EventKind");
            None
        }
    }
}

fn channel(
    value: i32,
    field: &str,
    optional: bool,
    violations: &mut FieldViolations,
) -> Option<Channel> {
    match Channel::try_from(value) {
        Ok(Channel::Unspecified) if optional => None,
        Ok(Channel::Unspecified) => {
            violations.add(field, "required: a Channel");
            None
        }
        Ok(channel) => Some(channel),
        Err(_) => {
            violations.add(field, "not a Channel");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::common::v1::OrgRef;

    fn fields(violations: FieldViolations) -> Vec<String> {
        violations
            .iter()
            .map(|(field, _)| field.to_owned())
            .collect()
    }

    #[test]
    fn a_bad_event_names_every_bad_field() {
        let request = pb::PublishEventRequest {
            event_id: "nope".into(),
            kind: 0,
            recipient_roles: vec![pb::RoleRecipients {
                role: 0,
                org_id: -1,
            }],
            parameters: [
                ("id_number".to_owned(), "x".to_owned()),
                ("Bad Name".to_owned(), "y".to_owned()),
            ]
            .into(),
            ..Default::default()
        };
        let refused = NewEvent::try_from(request).expect_err("bad");
        assert_eq!(
            fields(refused),
            [
                "event_id",
                "kind",
                "org.org_id",
                "recipient_roles[0].role",
                "parameters[Bad Name]",
                "parameters[id_number]",
                "source"
            ]
        );
    }

    #[test]
    fn a_good_event_parses() {
        let event = NewEvent::try_from(pb::PublishEventRequest {
            event_id: Uuid::new_v4().to_string(),
            kind: EventKind::FundsAllocated as i32,
            org: Some(OrgRef {
                org_id: 3,
                ..Default::default()
            }),
            recipient_roles: vec![pb::RoleRecipients {
                role: RecipientRole::Finance as i32,
                org_id: 0,
            }],
            parameters: [("amount".to_owned(), "¥3,000.00".to_owned())].into(),
            source: "funds".into(),
            ..Default::default()
        })
        .expect("good");
        assert_eq!(event.recipient_roles, vec![(RecipientRole::Finance, None)]);
        assert_eq!(event.org_id, 3);
    }

    #[test]
    fn mark_read_takes_ids_or_all() {
        assert!(MarkRead::try_from(pb::MarkReadRequest::default()).is_err());
        assert!(matches!(
            MarkRead::try_from(pb::MarkReadRequest {
                all: true,
                ..Default::default()
            }),
            Ok(MarkRead::All)
        ));
        let both = pb::MarkReadRequest {
            all: true,
            notification_ids: vec![Uuid::new_v4().to_string()],
            ..Default::default()
        };
        assert_eq!(
            fields(MarkRead::try_from(both).expect_err("both")),
            ["notification_ids"]
        );
    }

    #[test]
    fn a_template_change_refuses_private_placeholders() {
        let refused = TemplateChange::try_from(pb::UpdateTemplateRequest {
            template: Some(pb::Template {
                event_kind: 1,
                channel: 2,
                etag: "1".into(),
                body: "{{ diagnosis }}".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["body".into(), "colour".into()],
            }),
            reason: String::new(),
            ..Default::default()
        })
        .expect_err("refused");
        assert_eq!(fields(refused), ["template.body", "update_mask", "reason"]);
    }

    #[test]
    fn addresses() {
        assert!(is_email("zhang.san@example.cn"));
        assert!(!is_email("zhang san@example.cn") && !is_email("x@y") && !is_email("@y.cn"));
    }
}
