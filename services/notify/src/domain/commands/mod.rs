//! Requests parsed into what the service acts on, naming every bad field at
//! once (`INVALID_ARGUMENT` with field violations) before anything is read
//! or stored.

mod preferences;
mod templates;
#[cfg(test)]
mod tests;

pub use preferences::{PreferencesChange, PreferencesQuery, is_email, is_mobile};
pub use templates::{Preview, TemplateChange, TemplateKey, TemplateListing};

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

pub(super) fn non_empty(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

pub(super) fn event_kind(
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

pub(super) fn channel(
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
