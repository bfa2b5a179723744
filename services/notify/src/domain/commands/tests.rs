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
