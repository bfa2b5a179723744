//! Routing: a role's holders at the event's node and above, never in a
//! sibling branch nor below; named users as given; each once.

use super::*;

fn told(inbox: &pb::ListInboxResponse, event_id: &str) -> bool {
    inbox.notifications.iter().any(|n| n.event_id == event_id)
}

#[tokio::test]
async fn an_event_at_a_branch_reaches_its_staff_and_the_unit_above_and_nobody_in_the_sibling_branch()
 {
    let town = Town::new().await;
    let published = town
        .publish(event(
            pb::EventKind::ObjectionRaised,
            &town.branch_a,
            &[
                pb::RecipientRole::BranchStaff,
                pb::RecipientRole::SuperiorOrg,
            ],
        ))
        .await;
    assert_eq!(published.recipient_count, 2);
    assert!(told(&town.inbox("staff_a").await, &published.event_id));
    assert!(
        told(&town.inbox("superior").await, &published.event_id),
        "bound above the branch"
    );
    for key in ["staff_b", "finance", "department", "operations"] {
        assert!(
            !told(&town.inbox(key).await, &published.event_id),
            "{key} was told"
        );
    }
}

#[tokio::test]
async fn an_event_at_the_unit_reaches_nobody_bound_only_below_it() {
    let town = Town::new().await;
    let published = town
        .publish(event(
            pb::EventKind::FundsAllocated,
            &town.unit,
            &[pb::RecipientRole::BranchStaff, pb::RecipientRole::Finance],
        ))
        .await;
    // The unit's finance, and the administrator (finance on the whole tree).
    assert_eq!(published.recipient_count, 2);
    assert!(told(&town.inbox("finance").await, &published.event_id));
    for key in ["staff_a", "staff_b"] {
        assert!(
            !told(&town.inbox(key).await, &published.event_id),
            "{key} is below the unit"
        );
    }
}

#[tokio::test]
async fn a_role_at_another_node_and_named_users_are_told_each_once() {
    let town = Town::new().await;
    let mut request = event(
        pb::EventKind::CampaignDeadlineMissed,
        &town.branch_b,
        &[pb::RecipientRole::BranchStaff],
    );
    // Escalated to the superior organisation, and the department by name
    // (also named twice).
    request.recipient_roles.push(pb::RoleRecipients {
        role: pb::RecipientRole::SuperiorOrg as i32,
        org_id: town.unit.org_id,
    });
    let department = town.who("department").user.user_id.clone();
    request.recipient_user_ids = vec![department.clone(), department];
    let published = town.publish(request).await;
    assert_eq!(published.recipient_count, 3);
    for key in ["staff_b", "superior", "department"] {
        let inbox = town.inbox(key).await;
        let mine: Vec<_> = inbox
            .notifications
            .iter()
            .filter(|n| n.event_id == published.event_id)
            .collect();
        assert_eq!(mine.len(), 1, "{key}");
        assert_eq!(mine[0].title, "核查已逾期");
    }
    assert!(!told(&town.inbox("staff_a").await, &published.event_id));
}
