//! Registering members: the ID-number rules, duplicates, idempotency, masking.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Client, World, all_members, create_member, id_number, member, violated_fields};

#[tokio::test]
async fn each_bad_id_number_is_refused_by_field_and_nothing_is_written() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let valid = id_number("19580312", 101);
    let wrong_check = {
        let mut chars: Vec<char> = valid.chars().collect();
        let last = chars[17];
        chars[17] = if last == '0' { '1' } else { '0' };
        chars.into_iter().collect::<String>()
    };
    let cases = [
        ("wrong check digit", wrong_check),
        ("impossible date", id_number("19790230", 101)),
        ("future date", id_number("20990101", 101)),
        ("too short", valid[..17].to_owned()),
        ("too long", format!("{valid}1")),
        ("letters", "41080219580312A01X".to_owned()),
    ];
    for (what, id) in cases {
        let status = staff
            .create_member(pb::CreateMemberRequest {
                request_id: uuid::Uuid::new_v4().to_string(),
                member: Some(member(&world.branch_a, "张建国", &id)),
            })
            .await
            .expect_err(what);
        assert_eq!(
            violated_fields(&status),
            vec!["member.id_number"],
            "{what}: {status:?}"
        );
    }
    assert!(
        all_members(&world).await.is_empty(),
        "a refused request must write nothing"
    );

    // Several bad fields are all named at once.
    let mut bad = member(&world.branch_a, "", &valid);
    bad.employment_status = 0;
    bad.phone = "12345".into();
    let status = staff
        .create_member(pb::CreateMemberRequest {
            request_id: String::new(),
            member: Some(bad),
        })
        .await
        .expect_err("many bad fields");
    let fields = violated_fields(&status);
    for field in [
        "request_id",
        "member.name",
        "member.employment_status",
        "member.phone",
    ] {
        assert!(
            fields.contains(&field.to_owned()),
            "{field} missing from {fields:?}"
        );
    }
    assert!(all_members(&world).await.is_empty());
}

#[tokio::test]
async fn the_same_person_cannot_be_registered_twice() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let id = id_number("19620705", 202);
    create_member(&mut dept, &world.branch_a, "李秀英", &id).await;
    // Lower-case x or another branch makes no difference: it is the same person.
    let status = dept
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(member(&world.branch_b, "李秀英", &id.to_lowercase())),
        })
        .await
        .expect_err("duplicate");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    assert!(status.message().contains("member.id_number"));
    assert_eq!(all_members(&world).await.len(), 1);

    let found = dept
        .find_member_by_id_number(pb::FindMemberByIdNumberRequest {
            id_number: id.clone(),
        })
        .await
        .expect("found by ID number")
        .into_inner();
    assert_eq!(found.name, "李秀英");
}

#[tokio::test]
async fn a_retried_request_acts_once_and_a_reused_id_is_refused() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let request = pb::CreateMemberRequest {
        request_id: "retry-1".into(),
        member: Some(member(
            &world.branch_a,
            "王志强",
            &id_number("19700120", 303),
        )),
    };
    let first = staff
        .create_member(request.clone())
        .await
        .expect("first")
        .into_inner();
    let second = staff
        .create_member(request)
        .await
        .expect("retry")
        .into_inner();
    assert_eq!(
        first, second,
        "a retry answers exactly what the first call answered"
    );
    assert_eq!(all_members(&world).await.len(), 1);

    let status = staff
        .create_member(pb::CreateMemberRequest {
            request_id: "retry-1".into(),
            member: Some(member(
                &world.branch_a,
                "赵桂兰",
                &id_number("19551101", 404),
            )),
        })
        .await
        .expect_err("same id, other content");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(all_members(&world).await.len(), 1);
}

/// A member 张建国 registered by branch A's staff: the member as answered,
/// the ID number in clear, and the staff.
struct RegisteredMember {
    world: World,
    staff: Client,
    created: pb::Member,
    id: String,
}

async fn registered_member(sequence: u32) -> RegisteredMember {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let id = id_number("19580312", sequence);
    let created = create_member(&mut staff, &world.branch_a, "张建国", &id).await;
    RegisteredMember {
        world,
        staff,
        created,
        id,
    }
}

impl RegisteredMember {
    fn get(&self, reveal: bool, reason: &str) -> pb::GetMemberRequest {
        pb::GetMemberRequest {
            member_id: self.created.member_id.clone(),
            reveal_sensitive: reveal,
            reveal_reason: reason.to_owned(),
        }
    }

    async fn superior(&self) -> Client {
        self.world
            .as_role(Role::SuperiorOrg, &self.world.superior)
            .await
    }

    async fn history(&mut self) -> Vec<pb::HistoryEntry> {
        self.staff
            .list_history(pb::ListHistoryRequest {
                resource: format!("members/{}", self.created.member_id),
                ..Default::default()
            })
            .await
            .expect("history")
            .into_inner()
            .entries
    }
}

/// The ledger's pool hands out a connection used within the last second without asking the
/// server first (a round trip on every read otherwise); one idle for longer is checked. A
/// server that dropped the service's connections meanwhile — a restart, a proxy closing idle
/// ones — costs no caller an error.
#[tokio::test]
async fn a_member_is_read_after_the_database_dropped_the_services_idle_connections() {
    let mut member = registered_member(707).await;
    let request = member.get(false, "");
    member
        .staff
        .get_member(request.clone())
        .await
        .expect("read before");
    let admin = relief_tests::raw_pool(&member.world.ledger.schema).await;
    let dropped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(&member.world.ledger.schema)
    .fetch_all(&admin)
    .await
    .expect("terminating the ledger's connections");
    assert!(
        !dropped.is_empty() && dropped.iter().all(|done| *done),
        "the ledger had open connections to drop: {dropped:?}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    for _ in 0..3 {
        let read = member
            .staff
            .get_member(request.clone())
            .await
            .expect("read after the connections were dropped")
            .into_inner();
        assert_eq!(read.member_id, member.created.member_id);
    }
}

#[tokio::test]
async fn a_new_member_is_answered_masked() {
    let member = registered_member(505).await;
    let (created, id) = (&member.created, &member.id);
    assert_eq!(
        created.id_number,
        format!("{}**********{}", &id[..6], &id[16..])
    );
    assert_eq!(created.phone, "139****1234");
    assert!(created.sensitive.is_none() && !created.revealed);
    assert!(created.family_members[0].annual_income.is_none());
    assert!(created.family_members[0].health.is_empty());
}

#[tokio::test]
async fn a_reveal_without_a_reason_is_refused_by_field() {
    let mut member = registered_member(505).await;
    let status = member
        .staff
        .get_member(member.get(true, ""))
        .await
        .expect_err("no reason");
    assert_eq!(violated_fields(&status), vec!["reveal_reason"]);
}

#[tokio::test]
async fn a_reveal_with_a_reason_shows_the_sealed_values() {
    let mut member = registered_member(505).await;
    let revealed = member
        .staff
        .get_member(member.get(true, "核实救助申请"))
        .await
        .expect("reveal")
        .into_inner();
    assert_eq!(revealed.id_number, member.id);
    assert_eq!(revealed.phone, "13903911234");
    let sensitive = revealed.sensitive.expect("sensitive present");
    assert_eq!(sensitive.health_status, "尿毒症");
    assert_eq!(sensitive.own_annual_income.map(|m| m.fen), Some(3_600_000));
    assert_eq!(revealed.family_members[0].health, "高血压");
}

#[tokio::test]
async fn a_superior_organisation_reads_its_branches_members_masked_only() {
    let member = registered_member(505).await;
    let mut superior = member.superior().await;
    let masked = superior
        .get_member(member.get(false, ""))
        .await
        .expect("masked read")
        .into_inner();
    assert!(!masked.revealed);
    let status = superior
        .get_member(member.get(true, "想看看"))
        .await
        .expect_err("not allowed");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn only_a_reveal_that_happened_is_logged_with_its_reason_and_reader() {
    let mut member = registered_member(505).await;
    // A reveal without a reason, one with, a masked read, and a reveal
    // the superior organisation may not make.
    member
        .staff
        .get_member(member.get(true, ""))
        .await
        .expect_err("no reason");
    member
        .staff
        .get_member(member.get(true, "核实救助申请"))
        .await
        .expect("reveal");
    let mut superior = member.superior().await;
    superior
        .get_member(member.get(false, ""))
        .await
        .expect("masked read");
    superior
        .get_member(member.get(true, "想看看"))
        .await
        .expect_err("not allowed");

    let reads = member
        .world
        .auditor()
        .await
        .list_sensitive_reads(pb::ListSensitiveReadsRequest {
            resource: format!("members/{}", member.created.member_id),
            ..Default::default()
        })
        .await
        .expect("auditor lists reads")
        .into_inner()
        .reads;
    assert_eq!(
        reads.len(),
        1,
        "exactly the one successful reveal is logged: {reads:?}"
    );
    assert_eq!(reads[0].reason, "核实救助申请");
    assert!(
        reads[0]
            .reader
            .as_ref()
            .is_some_and(|r| r.user_id.contains("branch_staff"))
    );
}

#[tokio::test]
async fn the_id_number_is_stored_nowhere_in_clear() {
    let member = registered_member(505).await;
    // The ID number is not stored in clear anywhere in the ledger's schema.
    let pool = relief_tests::raw_pool(&member.world.ledger.schema).await;
    let dump: (String,) = sqlx::query_as("SELECT string_agg(t::text, ' ') FROM members t")
        .fetch_one(&pool)
        .await
        .expect("dump");
    assert!(
        !dump.0.contains(&member.id),
        "the members table holds the ID number in clear"
    );
}

impl RegisteredMember {
    /// The member moved, changed phone and recovered: the change, asked on `etag`.
    fn change(&self, etag: &str) -> pb::UpdateMemberRequest {
        let mut change = self.created.clone();
        change.phone = "13800001111".into();
        change.address = "焦作市山阳区新地址".into();
        change.sensitive = Some(pb::SensitiveInfo {
            health_status: "已康复".into(),
            own_annual_income: Some(relief_proto::common::v1::Money { fen: 4_800_000 }),
            ..Default::default()
        });
        pb::UpdateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(pb::Member {
                etag: etag.to_owned(),
                ..change
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["phone".into(), "address".into(), "sensitive".into()],
            }),
            reason: "本人搬家并更换手机".into(),
        }
    }
}

/// A registered member after that change: the member, and the answer to
/// the change.
async fn changed_member() -> (RegisteredMember, pb::Member) {
    let mut member = registered_member(606).await;
    let updated = member
        .staff
        .update_member(member.change(&member.created.etag))
        .await
        .expect("update")
        .into_inner();
    (member, updated)
}

#[tokio::test]
async fn a_changed_member_is_answered_masked() {
    let (_, updated) = changed_member().await;
    assert_eq!(updated.address, "焦作市山阳区新地址");
    assert_eq!(updated.phone, "138****1111");
}

#[tokio::test]
async fn a_member_change_on_a_stale_etag_is_refused_and_leaves_no_history() {
    let (mut member, _) = changed_member().await;
    let stale = member
        .staff
        .update_member(member.change(&member.created.etag))
        .await
        .expect_err("stale etag");
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(member.history().await.len(), 2, "registered, changed once");
}

#[tokio::test]
async fn a_changed_sealed_value_is_revealed_and_the_family_is_untouched() {
    let (mut member, _) = changed_member().await;
    let revealed = member
        .staff
        .get_member(member.get(true, "核对"))
        .await
        .expect("reveal")
        .into_inner();
    assert_eq!(
        revealed.sensitive.map(|s| s.health_status),
        Some("已康复".to_owned())
    );
    assert_eq!(revealed.family_members.len(), 1, "family untouched");
}

#[tokio::test]
async fn a_member_change_is_kept_naming_the_fields_it_changed() {
    let (mut member, _) = changed_member().await;
    let history = member.history().await;
    assert_eq!(history.len(), 2);
    let entry = &history[1];
    assert_eq!(entry.action, "member.updated");
    for field in ["address", "phone", "sensitive"] {
        assert!(
            entry.changed_fields.contains(&field.to_owned()),
            "{field} in {:?}",
            entry.changed_fields
        );
    }
}

#[tokio::test]
async fn sealed_values_never_enter_a_members_history() {
    let (mut member, _) = changed_member().await;
    let history = member.history().await;
    let entry = &history[1];
    assert_eq!(entry.action, "member.updated");
    for secret in ["13800001111", "已康复", "4800000"] {
        assert!(
            !entry.after_json.contains(secret) && !entry.before_json.contains(secret),
            "{secret} leaked into history"
        );
    }
}

/// The department renamed branch A (机构改革): the branch as renamed.
async fn renamed_branch(member: &RegisteredMember) -> pb::Org {
    member
        .world
        .department()
        .await
        .update_org(pb::UpdateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            org: Some(pb::Org {
                org_id: member.world.branch_a.org_id,
                name: "预算绩效科党支部".into(),
                etag: member.world.branch_a.etag.clone(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            reason: "机构改革更名".into(),
        })
        .await
        .expect("rename")
        .into_inner()
}

#[tokio::test]
async fn a_renamed_branch_keeps_its_path_and_its_members_show_the_new_name() {
    let mut member = registered_member(606).await;
    let renamed = renamed_branch(&member).await;
    assert_eq!(renamed.name, "预算绩效科党支部");
    assert_eq!(
        renamed.path, member.world.branch_a.path,
        "paths never change"
    );
    let read = member
        .staff
        .get_member(member.get(false, ""))
        .await
        .expect("read")
        .into_inner();
    assert_eq!(
        read.branch.map(|b| b.name),
        Some("预算绩效科党支部".to_owned())
    );
}

#[tokio::test]
async fn only_the_department_renames_an_organisation() {
    let mut member = registered_member(606).await;
    let renamed = renamed_branch(&member).await;
    let status = member
        .staff
        .update_org(pb::UpdateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            org: Some(renamed),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            reason: "越权".into(),
        })
        .await
        .expect_err("a branch renames nothing");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn text_the_database_cannot_store_is_refused_by_field() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let status = staff
        .list_records(pb::ListRecordsRequest {
            name_prefix: "张\u{0}".into(),
            ..Default::default()
        })
        .await
        .expect_err("NUL in a filter");
    assert_eq!(violated_fields(&status), vec!["name_prefix"]);
    let status = staff
        .create_member(pb::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(member(
                &world.branch_a,
                "张\u{0}建国",
                &id_number("19580312", 707),
            )),
        })
        .await
        .expect_err("NUL in a name");
    assert_eq!(violated_fields(&status), vec!["member.name"]);
    assert!(all_members(&world).await.is_empty());
}

#[tokio::test]
async fn request_ids_are_forgotten_after_the_retention_and_not_before() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    for (request_id, sequence) in [("old-request", 801), ("new-request", 802)] {
        staff
            .create_member(pb::CreateMemberRequest {
                request_id: request_id.into(),
                member: Some(member(
                    &world.branch_a,
                    "成员",
                    &id_number("19600101", sequence),
                )),
            })
            .await
            .expect("register");
    }
    let pool = relief_tests::raw_pool(&world.ledger.schema).await;
    sqlx::query("UPDATE idempotency_keys SET created_at = now() - interval '40 days' WHERE request_id = 'old-request'")
        .execute(&pool)
        .await
        .expect("ageing a key");
    let pruned =
        relief_runtime::idempotency::prune(&pool, std::time::Duration::from_secs(30 * 86_400))
            .await
            .expect("prune");
    assert_eq!(pruned, 1);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT request_id FROM idempotency_keys ORDER BY request_id")
            .fetch_all(&pool)
            .await
            .expect("keys");
    assert!(
        left.contains(&"new-request".to_owned()) && !left.contains(&"old-request".to_owned()),
        "{left:?}"
    );
}
