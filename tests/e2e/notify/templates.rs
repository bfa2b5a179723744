//! 消息模板: the department edits (mask, etag, reason audited) and previews;
//! private placeholders are refused; an edit shapes the next message.

use super::*;
use tonic::Code;

#[tokio::test]
async fn the_department_edits_a_template_and_the_next_message_follows_it() {
    let town = Town::new().await;
    let department = town.who("department").token.clone();
    let mut notify = town.notify(&department).await;
    let key = pb::GetTemplateRequest {
        event_kind: pb::EventKind::DecisionMade as i32,
        channel: pb::Channel::Inbox as i32,
    };
    let stored = notify.get_template(key).await.expect("read").into_inner();
    assert_eq!(stored.subject, "救助审批决定");
    let update = |etag: String, body: &str| pb::UpdateTemplateRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        template: Some(pb::Template {
            event_kind: key.event_kind,
            channel: key.channel,
            body: body.to_owned(),
            etag,
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["body".into()],
        }),
        reason: "措辞调整".into(),
    };
    let changed = notify
        .update_template(update(
            stored.etag.clone(),
            "{{ recipient_name }}：{{ member_name }}的申请已有决定。",
        ))
        .await
        .expect("updated")
        .into_inner();
    assert_ne!(changed.etag, stored.etag);
    assert_eq!(changed.last_change.expect("stamp").reason, "措辞调整");
    let stale = notify
        .update_template(update(stored.etag, "x"))
        .await
        .expect_err("a stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    let private = notify
        .update_template(update(
            changed.etag.clone(),
            "{{ id_number }} {{ household_income }}",
        ))
        .await
        .expect_err("private placeholders");
    assert_eq!(private.code(), Code::InvalidArgument);

    let preview = notify
        .preview_template(pb::PreviewTemplateRequest {
            event_kind: key.event_kind,
            channel: key.channel,
            parameters: [("member_name".to_owned(), "李四".to_owned())].into(),
            ..Default::default()
        })
        .await
        .expect("preview")
        .into_inner();
    assert_eq!(preview.body, "：李四的申请已有决定。");
    assert_eq!(
        preview.missing_parameters,
        vec!["recipient_name".to_owned()]
    );

    let published = town
        .publish(event(
            pb::EventKind::DecisionMade,
            &town.branch_a,
            &[pb::RecipientRole::BranchStaff],
        ))
        .await;
    let inbox = town.inbox("staff_a").await;
    let message = inbox
        .notifications
        .iter()
        .find(|n| n.event_id == published.event_id)
        .expect("told");
    assert_eq!(message.body, "王芳：张三的申请已有决定。");
    let audit = town
        .notify(&relief_tests::token(Role::Auditor, "/1/"))
        .await
        .list_audit_entries(relief_proto::common::v1::ListAuditEntriesRequest::default())
        .await
        .expect("the auditor reads the trail")
        .into_inner();
    let entry = audit
        .entries
        .iter()
        .find(|e| e.action == "template.updated")
        .expect("the change is audited");
    assert_eq!(entry.resource, "templates/7/1");
}

#[tokio::test]
async fn only_the_department_reads_or_changes_templates() {
    let town = Town::new().await;
    for key in ["staff_a", "finance", "operations", "superior"] {
        let refused = town
            .notify(&town.who(key).token)
            .await
            .list_templates(pb::ListTemplatesRequest::default())
            .await
            .expect_err(key);
        assert_eq!(refused.code(), Code::PermissionDenied, "{key}");
    }
    let listed = town
        .notify(&town.who("department").token)
        .await
        .list_templates(pb::ListTemplatesRequest {
            channel: pb::Channel::Sms as i32,
            page_size: 100,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(listed.templates.len(), 18, "one per event kind");
    assert!(
        listed
            .templates
            .iter()
            .all(|t| t.sms_template_code.starts_with("SMS_RELIEF_"))
    );
}
