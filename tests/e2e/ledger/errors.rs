//! How the ledger says no: every bad field of a request at once, with a
//! machine-readable reason, and a request id bound to the caller who used it.

use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use relief_runtime::error::{ERROR_DOMAIN, field_violations};
use tonic::Code;
use tonic_types::StatusExt;

use super::{World, all_members, id_number, member};

#[tokio::test]
async fn a_request_with_several_bad_fields_learns_every_one_and_why_in_one_answer() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let mut bad = member(&world.branch_a, "", &id_number("19580312", 901));
    bad.id_number.replace_range(17.., "Y");
    bad.employment_status = 0;
    bad.phone = "12345".into();
    let status = staff
        .create_member(pb::CreateMemberRequest {
            request_id: "not a valid id: 请求".into(),
            member: Some(bad),
        })
        .await
        .expect_err("every field is bad");

    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, "INVALID_FIELDS");
    assert_eq!(info.domain, ERROR_DOMAIN);
    assert_eq!(info.domain, "relief-ledger");
    assert_eq!(
        info.metadata.get("service").map(String::as_str),
        Some("ledger")
    );
    let mut fields: Vec<String> = field_violations(&status)
        .into_iter()
        .map(|(field, description)| {
            assert!(!description.is_empty(), "{field} says why");
            field
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "member.employment_status",
            "member.id_number",
            "member.name",
            "member.phone",
            "request_id",
        ],
        "{status:?}"
    );
    assert!(all_members(&world).await.is_empty(), "nothing is written");
}

#[tokio::test]
async fn a_request_id_retried_by_another_caller_is_refused_and_acts_nothing() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let request = pb::CreateMemberRequest {
        request_id: "shared-request-id".into(),
        member: Some(member(
            &world.branch_a,
            "王志强",
            &id_number("19700120", 902),
        )),
    };
    let first = staff
        .create_member(request.clone())
        .await
        .expect("first")
        .into_inner();

    // The very same request from someone else does not replay the first answer.
    let status = world
        .department()
        .await
        .create_member(request.clone())
        .await
        .expect_err("another caller reusing the id");
    assert_eq!(status.code(), Code::AlreadyExists, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, "REQUEST_ID_REUSED");
    assert_eq!(info.domain, "relief-ledger");

    // Its own caller still gets the first answer, and there is one member.
    let replay = staff
        .create_member(request)
        .await
        .expect("replay")
        .into_inner();
    assert_eq!(replay, first);
    assert_eq!(all_members(&world).await.len(), 1);
}

#[tokio::test]
async fn a_request_replayed_by_a_caller_of_another_subtree_never_answers_the_first_callers_member()
{
    let world = World::new().await;
    let request = pb::CreateMemberRequest {
        request_id: "department-request-id".into(),
        member: Some(member(
            &world.branch_b,
            "李秀英",
            &id_number("19620304", 903),
        )),
    };
    let first = world
        .department()
        .await
        .create_member(request.clone())
        .await
        .expect("the department registers a member in branch B")
        .into_inner();

    // Branch A's clerk sends the very same request: no replay of B's member.
    let mut staff_a = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let status = staff_a
        .create_member(request)
        .await
        .expect_err("branch A may not see branch B's member through a replay");
    assert!(
        matches!(status.code(), Code::AlreadyExists | Code::PermissionDenied),
        "{status:?}"
    );
    assert!(
        !status.message().contains(&first.member_id) && !status.message().contains("李秀英"),
        "the refusal names nothing of the first answer: {status:?}"
    );
    assert_eq!(all_members(&world).await.len(), 1);
}

/// A ledger that takes one call at a time, as its `limits.concurrency` says, refuses a second
/// call at once with a reason a program can act on, and takes calls again as soon as the
/// first is gone.
#[tokio::test]
async fn a_call_over_the_limit_is_refused_at_once_and_its_place_is_free_once_the_first_call_ends() {
    let ledger =
        relief_tests::spawn_ledger_with(|settings| settings.runtime.limits.concurrency = 1).await;
    let department = relief_tests::token(Role::Department, relief_tests::ROOT);
    let mut holder = super::client(&ledger, &department).await;
    // An import whose rows never come holds the one place for as long as it is open.
    let held = tokio::spawn(async move {
        holder
            .import_members(futures::stream::pending::<pb::ImportRow>())
            .await
    });
    let mut reader = super::client(&ledger, &department).await;
    let refused = read_until(&mut reader, Code::ResourceExhausted, Code::NotFound)
        .await
        .expect("a read while the import holds the one place is refused");
    let info = refused.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(info.reason, "OVERLOADED");
    assert_eq!(info.domain, ERROR_DOMAIN);
    assert!(
        refused.message().contains("limit of calls in flight (1)"),
        "{refused:?}"
    );

    held.abort();
    let answered = read_until(&mut reader, Code::NotFound, Code::ResourceExhausted).await;
    assert!(
        answered.is_some(),
        "once the import is gone, reads are answered again"
    );
}

/// Reads members that do not exist, for up to two seconds, until an answer comes with `wanted`;
/// every answer before it must be `meanwhile`.
async fn read_until(
    reader: &mut super::Client,
    wanted: Code,
    meanwhile: Code,
) -> Option<tonic::Status> {
    for _ in 0..100 {
        let status = reader
            .get_member(pb::GetMemberRequest {
                member_id: uuid::Uuid::new_v4().to_string(),
                ..Default::default()
            })
            .await
            .expect_err("no such member");
        if status.code() == wanted {
            return Some(status);
        }
        assert_eq!(status.code(), meanwhile, "{status:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    None
}
