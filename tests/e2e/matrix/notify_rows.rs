//! The notification service's rows (relief.notify.v1.NotificationService).
//! What each needs, from SPEC §7 and issue 12: events are published by the
//! services' relays only (no user role grants it); everyone signed in reads
//! and marks their own inbox and keeps their own contact preferences;
//! another user's inbox or preferences, and the delivery log, are
//! operations' (and the department's, which appoints operations) over the
//! whole tree; the templates are the department's; the audit trail the
//! auditor's.

use relief_proto::common::v1 as common;
use relief_proto::notify::v1 as pb;
use relief_runtime::auth::Permission::*;

use super::rows::{NOTIFY, Need, Row, STALE_ETAG, Scope, msg, rid};

pub fn rows() -> Vec<Row> {
    use Need::AnyOf;
    use Scope::{Anywhere, Committee};
    const OWN: Need = AnyOf(&[InboxRead, NotifyOperate]);
    const OPERATE: Need = AnyOf(&[NotifyOperate]);
    const TEMPLATES: Need = AnyOf(&[TemplateManage]);
    const AUDIT: Need = AnyOf(&[AuditRead]);
    vec![
        Row::new(
            NOTIFY,
            "PublishEvent",
            AnyOf(&[NotifyPublish]),
            Anywhere,
            |f, t| {
                let event_id = rid();
                msg(pb::PublishEventRequest {
                    request_id: event_id.clone(),
                    event_id,
                    kind: pb::EventKind::DecisionMade as i32,
                    org: Some(common::OrgRef {
                        org_id: f.at(t).org.org_id,
                        ..Default::default()
                    }),
                    recipient_roles: vec![pb::RoleRecipients {
                        role: pb::RecipientRole::BranchStaff as i32,
                        org_id: 0,
                    }],
                    source: "matrix".into(),
                    ..Default::default()
                })
            },
        ),
        Row::new(NOTIFY, "ListInbox", OWN, Anywhere, |_, _| {
            msg(pb::ListInboxRequest::default())
        }),
        Row::new(NOTIFY, "ListInbox", OPERATE, Committee, |f, t| {
            msg(pb::ListInboxRequest {
                recipient_user_id: f.at(t).user.user_id.clone(),
                ..Default::default()
            })
        })
        .variant("another user's")
        .gate(OWN),
        // Nobody's message: allowed callers are told NOT_FOUND.
        Row::new(NOTIFY, "MarkRead", AnyOf(&[InboxRead]), Anywhere, |_, _| {
            msg(pb::MarkReadRequest {
                request_id: rid(),
                notification_ids: vec![rid()],
                all: false,
            })
        }),
        Row::new(
            NOTIFY,
            "ListDeliveryAttempts",
            OPERATE,
            Committee,
            |_, _| msg(pb::ListDeliveryAttemptsRequest::default()),
        ),
        Row::new(NOTIFY, "GetTemplate", TEMPLATES, Committee, |_, _| {
            msg(pb::GetTemplateRequest {
                event_kind: pb::EventKind::FundsAllocated as i32,
                channel: pb::Channel::Email as i32,
            })
        }),
        Row::new(NOTIFY, "ListTemplates", TEMPLATES, Committee, |_, _| {
            msg(pb::ListTemplatesRequest::default())
        }),
        // A stale etag: allowed callers are refused ABORTED, nothing changes.
        Row::new(NOTIFY, "UpdateTemplate", TEMPLATES, Committee, |_, _| {
            msg(pb::UpdateTemplateRequest {
                request_id: rid(),
                template: Some(pb::Template {
                    event_kind: pb::EventKind::FundsAllocated as i32,
                    channel: pb::Channel::Email as i32,
                    subject: "救助资金已拨付".into(),
                    etag: STALE_ETAG.into(),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["subject".into()],
                }),
                reason: "矩阵测试".into(),
            })
        }),
        Row::new(NOTIFY, "PreviewTemplate", TEMPLATES, Committee, |_, _| {
            msg(pb::PreviewTemplateRequest {
                event_kind: pb::EventKind::FundsAllocated as i32,
                channel: pb::Channel::Inbox as i32,
                ..Default::default()
            })
        }),
        Row::new(NOTIFY, "GetContactPreferences", OWN, Anywhere, |_, _| {
            msg(pb::GetContactPreferencesRequest::default())
        }),
        Row::new(
            NOTIFY,
            "GetContactPreferences",
            OPERATE,
            Committee,
            |f, t| {
                msg(pb::GetContactPreferencesRequest {
                    user_id: f.at(t).user.user_id.clone(),
                })
            },
        )
        .variant("another user's")
        .gate(OWN),
        // One's own, at a stale etag: allowed callers are refused ABORTED.
        Row::new(
            NOTIFY,
            "UpdateContactPreferences",
            AnyOf(&[InboxRead]),
            Anywhere,
            |_, _| {
                msg(pb::UpdateContactPreferencesRequest {
                    request_id: rid(),
                    preferences: Some(pb::ContactPreferences {
                        etag: STALE_ETAG.into(),
                        enabled_channels: vec![pb::Channel::Email as i32],
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["enabled_channels".into()],
                    }),
                })
            },
        ),
        Row::new(NOTIFY, "VerifyAuditChain", AUDIT, Committee, |_, _| {
            msg(common::VerifyAuditChainRequest::default())
        }),
        Row::new(NOTIFY, "ListAuditEntries", AUDIT, Committee, |_, _| {
            msg(common::ListAuditEntriesRequest::default())
        }),
    ]
}
