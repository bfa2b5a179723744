//! A mask is never undone by another field beside it (SPEC §9): the masked
//! ID number hides the birth date and most of the sequence, and a masked
//! answer gives only the birth year, wherever the number leaves the ledger.

use relief_proto::common::v1::Date;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;

use super::{Client, World, create_member, id_number};

/// 张建国, born 12 March 1958, registered in branch A by its staff.
struct Registered {
    world: World,
    staff: Client,
    member: pb::Member,
    id: String,
}

async fn registered() -> Registered {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let id = id_number("19580312", 101);
    let member = create_member(&mut staff, &world.branch_a, "张建国", &id).await;
    Registered {
        world,
        staff,
        member,
        id,
    }
}

impl Registered {
    /// The one mask: region code and the last two characters.
    fn mask(&self) -> String {
        format!("{}**********{}", &self.id[..6], &self.id[16..])
    }

    fn year_only(&self) -> Option<Date> {
        Some(Date {
            year: 1958,
            month: 0,
            day: 0,
        })
    }

    /// Asserts `member` is the masked view, and that nothing in it spells
    /// out the full number or the birth date.
    fn assert_masked(&self, member: &pb::Member, who: &str) {
        assert_eq!(member.id_number, self.mask(), "{who}");
        assert_eq!(member.birth_date, self.year_only(), "{who}");
        assert!(!member.revealed, "{who}");
        let everything = format!("{member:?}");
        assert!(!everything.contains(&self.id), "{who}: {everything}");
        assert!(!everything.contains("19580312"), "{who}: {everything}");
        // Only 10 of 18 characters, not the birth date's 8: with the birth
        // year the hidden digits are still month, day and two of sequence.
        assert_eq!(member.id_number.matches('*').count(), 10, "{who}");
    }
}

#[tokio::test]
async fn a_masked_member_read_by_superior_committee_or_finance_shows_only_the_birth_year_and_the_new_mask()
 {
    let registered = registered().await;
    let world = &registered.world;
    for (role, org) in [
        (Role::SuperiorOrg, &world.superior),
        (Role::Committee, &world.superior),
        (Role::Finance, &world.superior),
        (Role::BranchStaff, &world.branch_a),
    ] {
        let read = world
            .as_role(role, org)
            .await
            .get_member(pb::GetMemberRequest {
                member_id: registered.member.member_id.clone(),
                ..Default::default()
            })
            .await
            .expect("masked read")
            .into_inner();
        registered.assert_masked(&read, &format!("{role:?}"));
    }
    registered.assert_masked(&registered.member, "the answer to CreateMember");
}

#[tokio::test]
async fn a_listing_and_a_lookup_by_id_number_show_members_masked_alike() {
    let registered = registered().await;
    let mut committee = registered
        .world
        .as_role(Role::Committee, &registered.world.superior)
        .await;
    let listed = committee
        .list_members(pb::ListMembersRequest::default())
        .await
        .expect("listing")
        .into_inner()
        .members;
    assert_eq!(listed.len(), 1);
    registered.assert_masked(&listed[0], "ListMembers");
    let found = committee
        .find_member_by_id_number(pb::FindMemberByIdNumberRequest {
            id_number: registered.id.clone(),
        })
        .await
        .expect("found")
        .into_inner();
    registered.assert_masked(&found, "FindMemberByIdNumber");
}

#[tokio::test]
async fn a_revealed_member_shows_the_full_birth_date_beside_the_full_number() {
    let mut registered = registered().await;
    let revealed = registered
        .staff
        .get_member(pb::GetMemberRequest {
            member_id: registered.member.member_id.clone(),
            reveal_sensitive: true,
            reveal_reason: "核实救助申请".into(),
        })
        .await
        .expect("reveal")
        .into_inner();
    assert_eq!(revealed.id_number, registered.id);
    assert_eq!(
        revealed.birth_date,
        Some(Date {
            year: 1958,
            month: 3,
            day: 12
        })
    );
}

#[tokio::test]
async fn the_history_keeps_the_id_number_under_the_same_mask() {
    let registered = registered().await;
    let entries = registered
        .world
        .department()
        .await
        .list_history(pb::ListHistoryRequest {
            resource: format!("members/{}", registered.member.member_id),
            ..Default::default()
        })
        .await
        .expect("history")
        .into_inner()
        .entries;
    let created: serde_json::Value =
        serde_json::from_str(&entries[0].after_json).expect("JSON of the member");
    assert_eq!(created["id_number"], registered.mask());
    assert!(!entries[0].after_json.contains("19580312"));
}
