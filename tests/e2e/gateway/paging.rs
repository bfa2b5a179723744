//! The gateway's listings page like every other: users one page after the
//! other, by tokens that hold no login or display name and answer only the
//! question they were issued for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use relief_proto::gateway::v1 as pb;
use relief_tests::GatewayOptions;
use tonic::Code;

use super::Door;

#[tokio::test]
async fn user_pages_add_up_and_their_tokens_carry_no_name() {
    let door = Door::new(GatewayOptions::default()).await;
    let branch_b = door.branch_b.clone();
    door.user("staff.b", pb::Role::BranchStaff, &branch_b).await;
    let mut admin = door.identity(&door.admin_token).await;
    let everyone = admin
        .list_users(pb::ListUsersRequest::default())
        .await
        .expect("one page")
        .into_inner()
        .users;
    assert!(everyone.len() >= 3, "{everyone:?}");

    let mut request = pb::ListUsersRequest {
        page_size: 1,
        ..Default::default()
    };
    let mut paged = Vec::new();
    loop {
        let page = admin
            .list_users(request.clone())
            .await
            .expect("a page of users")
            .into_inner();
        paged.extend(page.users);
        if page.next_page_token.is_empty() {
            break;
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(&page.next_page_token)
            .expect("base64url");
        for user in &everyone {
            for personal in [&user.login_name, &user.display_name] {
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
        // Asked with another filter, the token is refused by field.
        let status = admin
            .list_users(pb::ListUsersRequest {
                role: pb::Role::BranchStaff as i32,
                page_token: page.next_page_token.clone(),
                ..request.clone()
            })
            .await
            .expect_err("a token of another question");
        assert_eq!(status.code(), Code::InvalidArgument);
        let fields: Vec<String> = relief_runtime::error::field_violations(&status)
            .into_iter()
            .map(|(field, _)| field)
            .collect();
        assert_eq!(fields, ["page_token"]);
        request.page_token = page.next_page_token;
    }
    assert_eq!(paged, everyone, "the pages, in order, are the whole list");
}
