//! Rows as the API shows them, in one place.

use relief_proto::common::v1::{ChangeStamp, OrgRef};
use relief_proto::notify::v1 as pb;
use relief_runtime::ids;
use relief_runtime::time::timestamp;

use crate::domain::template::PLACEHOLDERS;
use crate::store::{AttemptRow, InboxRow, PreferencesRow, TemplateRow};

pub fn notification(row: &InboxRow) -> pb::Notification {
    pb::Notification {
        notification_id: row.notification_id.to_string(),
        recipient_user_id: row.recipient_user_id.clone(),
        event_id: row.event_id.to_string(),
        event_kind: row.kind,
        org: Some(OrgRef {
            org_id: row.org_id,
            path: row.org_path.clone(),
            name: row.org_name.clone(),
        }),
        title: row.title.clone(),
        body: row.body.clone(),
        link: row.link.clone(),
        read: row.read_at.is_some(),
        read_time: row.read_at.map(timestamp),
        create_time: Some(timestamp(row.visible_at)),
    }
}

pub fn attempt(row: &AttemptRow) -> pb::DeliveryAttempt {
    pb::DeliveryAttempt {
        attempt_id: row.attempt_id.to_string(),
        event_id: row.event_id.to_string(),
        event_kind: row.kind,
        recipient_user_id: row.recipient_user_id.clone(),
        channel: row.channel,
        attempt_number: row.attempt_number,
        status: row.status,
        error: row.error.clone(),
        destination: row.destination_masked.clone(),
        provider_message_id: row.provider_message_id.clone(),
        attempt_time: Some(timestamp(row.attempted_at)),
        next_attempt_time: row.next_attempt_at.map(timestamp),
    }
}

pub fn template(row: &TemplateRow) -> pb::Template {
    pb::Template {
        event_kind: row.kind,
        channel: row.channel,
        subject: row.subject.clone(),
        body: row.body.clone(),
        sms_template_code: row.sms_template_code.clone(),
        placeholders: PLACEHOLDERS.iter().map(|p| (*p).to_owned()).collect(),
        enabled: row.enabled,
        last_change: Some(ChangeStamp {
            actor: ids::actor(&row.changed_by_id, &row.changed_by_name),
            change_time: Some(timestamp(row.changed_at)),
            reason: row.change_reason.clone(),
        }),
        etag: ids::etag_of(row.version),
    }
}

/// Preferences as `viewer_sees_all` allows: addresses in full for the user
/// and operations, masked for everyone else.
pub fn preferences(
    row: &PreferencesRow,
    email: &str,
    mobile: &str,
    in_full: bool,
) -> pb::ContactPreferences {
    let (email, mobile) = if in_full {
        (email.to_owned(), mobile.to_owned())
    } else {
        (
            crate::domain::delivery::mask_destination(pb::Channel::Email, email),
            relief_runtime::masking::mask_phone(mobile),
        )
    };
    let mut channels = vec![pb::Channel::Inbox as i32];
    channels.extend(
        row.channels
            .iter()
            .filter(|c| **c != pb::Channel::Inbox as i32),
    );
    pb::ContactPreferences {
        user_id: row.user_id.clone(),
        email: if email == "***" { String::new() } else { email },
        mobile,
        enabled_channels: channels,
        last_change: (row.version > 0).then(|| ChangeStamp {
            actor: ids::actor(&row.changed_by_id, &row.changed_by_name),
            change_time: Some(timestamp(row.changed_at)),
            reason: String::new(),
        }),
        etag: ids::etag_of(row.version),
    }
}
