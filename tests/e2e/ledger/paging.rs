//! Listing page by page: the pages add up to the whole list, a page token
//! carries no personal data, and it answers only the question it was issued
//! for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relief_proto::ledger::v1 as pb;

use super::{
    Client, World, all_members, create_member, id_number, record_request, violated_fields,
};

const NAMES: [&str; 5] = ["王建国", "李秀英", "张伟", "刘洋", "陈静"];

/// Every page of `request`, `page_size` at a time: the names, and the tokens.
async fn member_pages(
    client: &mut Client,
    request: pb::ListMembersRequest,
) -> (Vec<String>, Vec<String>) {
    let (mut names, mut tokens) = (Vec::new(), Vec::new());
    let mut request = request;
    loop {
        let page = client
            .list_members(request.clone())
            .await
            .expect("a page of members")
            .into_inner();
        names.extend(page.members.into_iter().map(|member| member.name));
        if page.next_page_token.is_empty() {
            return (names, tokens);
        }
        tokens.push(page.next_page_token.clone());
        request.page_token = page.next_page_token;
    }
}

async fn register(world: &World) -> Vec<pb::Member> {
    let mut department = world.department().await;
    let mut members = Vec::new();
    for (sequence, name) in (20..).zip(NAMES) {
        members.push(
            create_member(
                &mut department,
                &world.branch_a,
                name,
                &id_number("19600101", sequence),
            )
            .await,
        );
    }
    members
}

#[tokio::test]
async fn member_pages_add_up_and_their_tokens_carry_no_name() {
    let world = World::new().await;
    let members = register(&world).await;
    let mut department = world.department().await;
    let (names, tokens) = member_pages(
        &mut department,
        pb::ListMembersRequest {
            page_size: 2,
            ..Default::default()
        },
    )
    .await;
    let in_one_page: Vec<String> = all_members(&world)
        .await
        .into_iter()
        .map(|member| member.name)
        .collect();
    assert_eq!(
        names, in_one_page,
        "the pages, in order, are the whole list"
    );
    assert_eq!(names.len(), NAMES.len());
    assert_eq!(tokens.len(), 2, "five members, two at a time");

    for token in &tokens {
        let bytes = URL_SAFE_NO_PAD.decode(token).expect("a token is base64url");
        for member in &members {
            for personal in [&member.name, &member.id_number, &member.phone] {
                let personal = personal.as_bytes();
                assert!(
                    !bytes
                        .windows(personal.len())
                        .any(|window| window == personal),
                    "a page token carries {:?}",
                    String::from_utf8_lossy(personal)
                );
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            NAMES.iter().all(|name| !text.contains(name)),
            "no name in {text:?}"
        );
    }
}

/// Five members registered, and the first page of them, one to a page:
/// the page, and the token for the next.
struct FirstPage {
    world: World,
    members: Vec<pb::Member>,
    department: Client,
    first: pb::ListMembersResponse,
    token: String,
}

async fn first_page_of_one() -> FirstPage {
    let world = World::new().await;
    let members = register(&world).await;
    let mut department = world.department().await;
    let first = department
        .list_members(pb::ListMembersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("first page")
        .into_inner();
    let token = first.next_page_token.clone();
    assert!(!token.is_empty());
    FirstPage {
        world,
        members,
        department,
        first,
        token,
    }
}

#[tokio::test]
async fn a_page_token_goes_on_where_its_page_ended_with_any_page_size() {
    let mut page = first_page_of_one().await;
    // The same question with a bigger page goes on where the first page ended.
    let rest = page
        .department
        .list_members(pb::ListMembersRequest {
            page_size: 50,
            page_token: page.token.clone(),
            ..Default::default()
        })
        .await
        .expect("the same filters, another page size")
        .into_inner();
    assert_eq!(rest.members.len(), NAMES.len() - 1);
    assert!(
        rest.members
            .iter()
            .all(|member| member.name != page.first.members[0].name)
    );
}

#[tokio::test]
async fn a_page_token_is_refused_by_field_under_any_other_filter() {
    let mut page = first_page_of_one().await;
    for other in [
        pb::ListMembersRequest {
            name_prefix: "王".to_owned(),
            ..Default::default()
        },
        pb::ListMembersRequest {
            org_id: page.world.branch_a.org_id,
            ..Default::default()
        },
    ] {
        let status = page
            .department
            .list_members(pb::ListMembersRequest {
                page_size: 1,
                page_token: page.token.clone(),
                ..other
            })
            .await
            .expect_err("a token of another question");
        assert_eq!(violated_fields(&status), ["page_token"]);
    }
}

#[tokio::test]
async fn a_members_page_token_does_not_page_records() {
    let mut page = first_page_of_one().await;
    page.department
        .create_record(record_request(
            &page.members[0].member_id,
            relief_proto::common::v1::HardshipCategory::MajorIllness,
            3_600_000,
        ))
        .await
        .expect("a record");
    let status = page
        .department
        .list_records(pb::ListRecordsRequest {
            page_token: page.token.clone(),
            ..Default::default()
        })
        .await
        .expect_err("a members token for records");
    assert_eq!(violated_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn a_page_token_in_the_old_form_is_refused() {
    let mut page = first_page_of_one().await;
    // A token in the old form (the last name, base64) is not one.
    let old = URL_SAFE_NO_PAD.encode(format!(
        "v1:{}\u{1f}{}",
        NAMES[0], page.members[0].member_id
    ));
    let status = page
        .department
        .list_members(pb::ListMembersRequest {
            page_token: old,
            ..Default::default()
        })
        .await
        .expect_err("an old token");
    assert_eq!(violated_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn record_pages_add_up_under_a_filter() {
    let world = World::new().await;
    let members = register(&world).await;
    let mut department = world.department().await;
    for member in &members {
        department
            .create_record(record_request(
                &member.member_id,
                relief_proto::common::v1::HardshipCategory::Other,
                1_200_000,
            ))
            .await
            .expect("a record");
    }
    let filter = pb::ListRecordsRequest {
        category: relief_proto::common::v1::HardshipCategory::Other as i32,
        page_size: 2,
        ..Default::default()
    };
    let mut request = filter.clone();
    let mut seen = Vec::new();
    loop {
        let page = department
            .list_records(request.clone())
            .await
            .expect("a page of records")
            .into_inner();
        seen.extend(page.records.into_iter().map(|record| record.record_id));
        if page.next_page_token.is_empty() {
            break;
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(&page.next_page_token)
            .expect("base64url");
        let text = String::from_utf8_lossy(&bytes);
        assert!(NAMES.iter().all(|name| !text.contains(name)), "{text:?}");
        // The same token with another category is refused.
        let status = department
            .list_records(pb::ListRecordsRequest {
                category: relief_proto::common::v1::HardshipCategory::MajorIllness as i32,
                page_token: page.next_page_token.clone(),
                ..filter.clone()
            })
            .await
            .expect_err("another category");
        assert_eq!(violated_fields(&status), ["page_token"]);
        request.page_token = page.next_page_token;
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), members.len(), "every record once");
}
