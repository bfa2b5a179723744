//! Staff mobile numbers (SPEC §9): masked for everyone but the user and
//! operations, in every answer about a user.

use relief_proto::gateway::v1 as pb;
use relief_proto::ledger::v1 as ledger;
use relief_tests::GatewayOptions;

use super::{Door, STAFF_PASSWORD};

const MOBILE: &str = "13903911234";
const MASKED: &str = "139****1234";

/// A door with a department user at the committee and a superior
/// organisation's user over both branches, who registered staff.b (mobile on
/// file; no role yet) and so administers them.
struct Staff {
    door: Door,
    staff_b: pb::User,
}

async fn staff() -> Staff {
    let door = Door::new(GatewayOptions::default()).await;
    let committee = ledger::Org {
        org_id: 1,
        name: "市直机关工委".to_owned(),
        ..Default::default()
    };
    let superior = ledger::Org {
        org_id: door.branch_a.parent_id,
        name: "市财政局机关党委".to_owned(),
        ..Default::default()
    };
    door.user("dept", pb::Role::Department, &committee).await;
    door.user("superior", pb::Role::SuperiorOrg, &superior)
        .await;
    let token = door.token("superior", STAFF_PASSWORD).await;
    let mut superior = door.identity(&token).await;
    let created = superior
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "staff.b".to_owned(),
                display_name: "国库科 专干".to_owned(),
                mobile: MOBILE.to_owned(),
                ..Default::default()
            }),
            initial_password: STAFF_PASSWORD.to_owned(),
        })
        .await
        .expect("the superior registers staff.b")
        .into_inner();
    let staff_b = superior
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: created.user_id.clone(),
            current_password: String::new(),
            new_password: STAFF_PASSWORD.to_owned(),
            require_change: false,
        })
        .await
        .expect("ready to work")
        .into_inner();
    assert_eq!(created.mobile, MASKED, "the answer to CreateUser");
    Staff { door, staff_b }
}

impl Staff {
    async fn get_as(&self, login: &str) -> pb::User {
        let token = self.door.token(login, STAFF_PASSWORD).await;
        self.door
            .identity(&token)
            .await
            .get_user(pb::GetUserRequest {
                user_id: self.staff_b.user_id.clone(),
            })
            .await
            .expect("reading the user")
            .into_inner()
    }

    async fn list_as(&self, login: &str) -> Vec<pb::User> {
        let token = self.door.token(login, STAFF_PASSWORD).await;
        self.door
            .identity(&token)
            .await
            .list_users(pb::ListUsersRequest {
                query: "staff.b".to_owned(),
                ..Default::default()
            })
            .await
            .expect("listing users")
            .into_inner()
            .users
    }
}

#[tokio::test]
async fn another_users_mobile_is_masked_for_the_department_and_the_superior_organisation() {
    let staff = staff().await;
    for login in ["dept", "superior"] {
        assert_eq!(
            staff.get_as(login).await.mobile,
            MASKED,
            "GetUser as {login}"
        );
        let listed = staff.list_as(login).await;
        assert_eq!(listed.len(), 1, "{login}: {listed:?}");
        assert_eq!(listed[0].mobile, MASKED, "ListUsers as {login}");
    }
}

#[tokio::test]
async fn a_user_sees_their_own_mobile_in_full() {
    let staff = staff().await;
    assert_eq!(staff.get_as("staff.b").await.mobile, MOBILE);
}

#[tokio::test]
async fn the_answer_to_an_administrators_change_masks_the_mobile_too() {
    let staff = staff().await;
    // staff.b's answer from SetPassword went to the superior organisation.
    assert_eq!(staff.staff_b.mobile, MASKED);
}
