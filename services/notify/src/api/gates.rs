//! Who may call each notification RPC at all (see
//! [`relief_runtime::auth::Gates`]): publishing is a relay's, the inbox and
//! one's own preferences every signed-in role's, templates the
//! department's, the delivery log operations'.

use relief_runtime::auth::Gate::AnyOf;
use relief_runtime::auth::Gates;
use relief_runtime::auth::Permission::*;

pub static GATES: Gates = Gates {
    service: crate::SERVICE_NAME,
    methods: &[
        ("PublishEvent", AnyOf(&[NotifyPublish])),
        ("ListInbox", AnyOf(&[InboxRead, NotifyOperate])),
        ("MarkRead", AnyOf(&[InboxRead])),
        ("ListDeliveryAttempts", AnyOf(&[NotifyOperate])),
        ("GetTemplate", AnyOf(&[TemplateManage])),
        ("ListTemplates", AnyOf(&[TemplateManage])),
        ("UpdateTemplate", AnyOf(&[TemplateManage])),
        ("PreviewTemplate", AnyOf(&[TemplateManage])),
        ("GetContactPreferences", AnyOf(&[InboxRead, NotifyOperate])),
        ("UpdateContactPreferences", AnyOf(&[InboxRead])),
        ("VerifyAuditChain", AnyOf(&[AuditRead])),
        ("ListAuditEntries", AnyOf(&[AuditRead])),
    ],
};

#[cfg(test)]
mod tests {
    #[test]
    fn every_notification_rpc_has_a_gate() {
        assert_eq!(super::GATES.mismatches(), Vec::<String>::new());
    }
}
