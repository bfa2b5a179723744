//! The edge: the same calls over JSON, gRPC and gRPC-Web with the same
//! rights; bad bodies refused before anything is forwarded; an OpenAPI
//! document an independent validator accepts; downloads; limits; headers.

use std::io::Cursor;
use std::process::Command;

use calamine::{Reader, Xlsx, open_workbook_from_rs};
use prost::Message;
use relief_proto::gateway::v1 as pb;
use relief_proto::ledger::v1 as ledger;
use relief_tests::GatewayOptions;
use serde_json::{Value, json};
use tonic::Code;

use super::{Door, STAFF_PASSWORD, grpc_web, ledger_client};

fn member_json(branch_id: i64, name: &str, id_number: &str) -> Value {
    json!({
        "requestId": uuid::Uuid::new_v4().to_string(),
        "member": {
            "branch": { "orgId": branch_id.to_string() },
            "name": name,
            "idNumber": id_number,
            "partyJoinDate": { "year": 1990, "month": 7, "day": 1 },
            "workUnit": "焦作市财政局",
            "employmentStatus": "EMPLOYMENT_STATUS_RETIRED",
            "phone": "13903911234"
        }
    })
}

fn id_number(birth: &str, sequence: u32) -> String {
    let first17 = format!("410802{birth}{sequence:03}");
    let check = relief_ledger::domain::id_number::check_char(&first17).expect("digits");
    format!("{first17}{check}")
}

/// The door with staff.b in branch B, and each branch's staff logged in
/// and having registered a member of its own: branch A 张建国 over JSON,
/// branch B 李秀英 over gRPC.
struct OwnMembers {
    door: Door,
    token_a: String,
    /// Branch A's answer to registering 张建国 over JSON.
    answer_a: Value,
    member_b: ledger::Member,
}

async fn each_branch_with_its_own_member() -> OwnMembers {
    let door = Door::new(GatewayOptions::default()).await;
    let branch_b = door.branch_b.clone();
    door.user("staff.b", pb::Role::BranchStaff, &branch_b).await;
    let token_a = door.token("staff.a", STAFF_PASSWORD).await;
    let token_b = door.token("staff.b", STAFF_PASSWORD).await;

    // JSON: branch A registers its own member.
    let (status, answer_a) = door
        .post(
            "relief.ledger.v1.LedgerService/CreateMember",
            &token_a,
            member_json(door.branch_a.org_id, "张建国", &id_number("19580312", 1)),
        )
        .await;
    assert_eq!(status, 200, "{answer_a}");

    // gRPC: branch B registers one of its own.
    let member_b = ledger_client(&door.gateway, &token_b)
        .await
        .create_member(ledger::CreateMemberRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            member: Some(ledger::Member {
                branch: Some(relief_proto::common::v1::OrgRef {
                    org_id: door.branch_b.org_id,
                    ..Default::default()
                }),
                name: "李秀英".into(),
                id_number: id_number("19620705", 2),
                party_join_date: Some(relief_proto::common::v1::Date {
                    year: 1990,
                    month: 7,
                    day: 1,
                }),
                work_unit: "焦作市财政局".into(),
                employment_status: ledger::EmploymentStatus::Retired as i32,
                ..Default::default()
            }),
        })
        .await
        .expect("gRPC through the gateway")
        .into_inner();
    OwnMembers {
        door,
        token_a,
        answer_a,
        member_b,
    }
}

const GET_MEMBER: &str = "/relief.ledger.v1.LedgerService/GetMember";

#[tokio::test]
async fn a_branch_registers_its_own_member_over_json_and_sees_it_masked() {
    let own = each_branch_with_its_own_member().await;
    let body = &own.answer_a;
    assert!(body["memberId"].as_str().is_some(), "member id: {body}");
    assert!(
        body["idNumber"]
            .as_str()
            .is_some_and(|id| id.contains("********")),
        "masked: {body}"
    );
}

#[tokio::test]
async fn a_branch_may_not_read_a_sibling_branchs_member_over_json() {
    let own = each_branch_with_its_own_member().await;
    let (status, body) = own
        .door
        .post(
            "relief.ledger.v1.LedgerService/GetMember",
            &own.token_a,
            json!({ "memberId": own.member_b.member_id }),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["status"], "PERMISSION_DENIED");
}

#[tokio::test]
async fn a_branch_may_not_read_a_sibling_branchs_member_over_grpc() {
    let own = each_branch_with_its_own_member().await;
    let denied = ledger_client(&own.door.gateway, &own.token_a)
        .await
        .get_member(ledger::GetMemberRequest {
            member_id: own.member_b.member_id.clone(),
            ..Default::default()
        })
        .await
        .expect_err("gRPC sibling read");
    assert_eq!(denied.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_branch_may_not_read_a_sibling_branchs_member_over_grpc_web() {
    let own = each_branch_with_its_own_member().await;
    let sibling = ledger::GetMemberRequest {
        member_id: own.member_b.member_id.clone(),
        ..Default::default()
    };
    let (grpc_status, _) = grpc_web(
        &own.door.http,
        &own.door.gateway,
        GET_MEMBER,
        &own.token_a,
        &sibling,
    )
    .await;
    assert_eq!(grpc_status, "7", "PERMISSION_DENIED over gRPC-Web");
}

#[tokio::test]
async fn a_branch_reads_its_own_member_over_grpc_web() {
    let own = each_branch_with_its_own_member().await;
    let member_a = own.answer_a["memberId"]
        .as_str()
        .expect("member id")
        .to_owned();
    let request = ledger::GetMemberRequest {
        member_id: member_a,
        ..Default::default()
    };
    let (grpc_status, message) = grpc_web(
        &own.door.http,
        &own.door.gateway,
        GET_MEMBER,
        &own.token_a,
        &request,
    )
    .await;
    assert_eq!(grpc_status, "0");
    let member = ledger::Member::decode(message.expect("answer").as_slice()).expect("a Member");
    assert_eq!(member.name, "张建国");
}

#[tokio::test]
async fn without_a_token_nothing_passes_the_door() {
    let door = Door::new(GatewayOptions::default()).await;
    let response = door
        .http
        .post(
            door.gateway
                .url("/v1/relief.ledger.v1.LedgerService/ListMembers"),
        )
        .json(&json!({}))
        .send()
        .await
        .expect("anonymous");
    assert_eq!(response.status(), 401);
}

#[tokio::test]
async fn bad_bodies_are_refused_with_the_field_named_and_nothing_is_forwarded() {
    let door = Door::new(GatewayOptions::default()).await;
    let url = door
        .gateway
        .url("/v1/relief.ledger.v1.LedgerService/CreateMember");
    let send = |body: String| {
        door.http
            .post(url.clone())
            .bearer_auth(&door.admin_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let field_of = |body: &Value| {
        body["error"]["details"][0]["fieldViolations"][0]["field"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };

    let response = send("{\"member\": {".into()).await.expect("malformed");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json error");
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert_eq!(field_of(&body), "body");

    let mut unknown = member_json(door.branch_a.org_id, "甲", &id_number("19580312", 3));
    unknown["member"]["nickname"] = json!("老张");
    let body: Value = send(unknown.to_string())
        .await
        .expect("unknown")
        .json()
        .await
        .expect("json");
    assert_eq!(field_of(&body), "member.nickname", "{body}");

    let mut wrong_type = member_json(door.branch_a.org_id, "甲", &id_number("19580312", 4));
    wrong_type["member"]["receivesDibao"] = json!("yes");
    let body: Value = send(wrong_type.to_string())
        .await
        .expect("wrong type")
        .json()
        .await
        .expect("json");
    assert_eq!(field_of(&body), "member.receivesDibao", "{body}");

    let mut huge = member_json(door.branch_a.org_id, "甲", &id_number("19580312", 5));
    huge["member"]["address"] = json!("很".repeat(40_000));
    let response = send(huge.to_string()).await.expect("oversize");
    assert_eq!(response.status(), 413);

    // A valid body with bad values reaches the ledger, which names the field.
    let mut bad_id = member_json(door.branch_a.org_id, "甲", "410802195803121234");
    bad_id["member"]["name"] = json!("甲");
    let response = send(bad_id.to_string()).await.expect("bad id");
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(field_of(&body), "member.id_number", "{body}");

    let (_, members) = door
        .post(
            "relief.ledger.v1.LedgerService/ListMembers",
            &door.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(members["members"], json!([]), "nothing was registered");
}

/// Runs an independent OpenAPI validator (a PyPI package) on the document.
fn validate_openapi(document: &Value) {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi-validator");
    let python = relief_tests::python_with(&dir, &["openapi-spec-validator==0.7.1"]);
    let file = dir.join(format!("openapi-{}.json", std::process::id()));
    std::fs::write(&file, document.to_string()).expect("writing the document");
    let output = Command::new(&python)
        .args(["-c", "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')"])
        .arg(&file)
        .output()
        .expect("running the validator");
    assert!(
        output.status.success(),
        "the OpenAPI document is invalid:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_openapi_document_is_valid_and_a_request_built_from_it_works() {
    let door = Door::new(GatewayOptions::default()).await;
    let document: Value = door
        .http
        .get(door.gateway.url("/openapi.json"))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("JSON document");
    validate_openapi(&document);

    // Build the call from the document alone: the path and the input schema.
    let (path, item) = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .find(|(path, _)| path.ends_with(".LedgerService/ListOrgs"))
        .expect("ListOrgs is documented");
    let input = item["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .expect("input schema")
        .rsplit('/')
        .next()
        .expect("name")
        .to_owned();
    let properties = &document["components"]["schemas"][&input]["properties"];
    assert!(properties.get("wholeSubtree").is_some(), "{properties}");
    // Times are google.protobuf.Timestamp, which proto3 JSON prints as RFC 3339.
    let member = &document["components"]["schemas"]["relief.ledger.v1.Member"]["properties"];
    for time in ["createTime", "updateTime"] {
        assert_eq!(
            member[time],
            json!({ "type": "string", "format": "date-time" }),
            "{time}: {member}"
        );
    }
    let response = door
        .http
        .post(door.gateway.url(path))
        .bearer_auth(&door.admin_token)
        .json(&json!({ "wholeSubtree": true }))
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("answer");
    assert_eq!(
        body["orgs"].as_array().map(Vec::len),
        Some(4),
        "committee, superior, two branches: {body}"
    );
}

#[tokio::test]
async fn times_travel_as_rfc3339_strings_in_json_and_back() {
    let door = Door::new(GatewayOptions::default()).await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let (status, member) = door
        .post(
            "relief.ledger.v1.LedgerService/CreateMember",
            &door.admin_token,
            member_json(door.branch_a.org_id, "李秀英", &id_number("19620815", 8)),
        )
        .await;
    assert_eq!(status, 200, "{member}");
    let created = member["createTime"]
        .as_str()
        .expect("createTime is a string");
    assert!(created.ends_with('Z'), "UTC: {created}");
    let created =
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339)
            .expect("RFC 3339");
    assert!(created >= before, "{created} is now, not {before}");
    assert_eq!(member["updateTime"], member["createTime"]);

    // The same instant over gRPC, as a Timestamp.
    let mut grpc = ledger_client(&door.gateway, &door.admin_token).await;
    let read = grpc
        .get_member(ledger::GetMemberRequest {
            member_id: member["memberId"].as_str().expect("id").to_owned(),
            ..Default::default()
        })
        .await
        .expect("GetMember")
        .into_inner();
    let stamp = read.create_time.expect("create_time");
    assert_eq!(
        (stamp.seconds, stamp.nanos),
        (created.unix_timestamp(), created.nanosecond() as i32)
    );
}

/// The door with 张建国 of branch A on the register with a record
/// (major illness, 36,000 yuan a year), registered by the administrator.
async fn door_with_a_recorded_member() -> Door {
    let door = Door::new(GatewayOptions::default()).await;
    let (status, member) = door
        .post(
            "relief.ledger.v1.LedgerService/CreateMember",
            &door.admin_token,
            member_json(door.branch_a.org_id, "张建国", &id_number("19580312", 6)),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = door
        .post(
            "relief.ledger.v1.LedgerService/CreateRecord",
            &door.admin_token,
            json!({
                "requestId": uuid::Uuid::new_v4().to_string(),
                "memberId": member["memberId"],
                "category": "HARDSHIP_CATEGORY_MAJOR_ILLNESS",
                "cause": "本人患尿毒症",
                "householdSize": 3,
                "annualHouseholdIncome": { "fen": "3600000" },
            }),
        )
        .await;
    assert_eq!(status, 200);
    door
}

/// The department downloads the whole register over plain HTTP.
async fn download_register(door: &Door) -> reqwest::Response {
    door.http
        .get(door.gateway.url(
            // Unmasked, as the department may ask for it with a reason.
            "/v1/relief.ledger.v1.LedgerService/ExportRegister?orgId=0&includeRemoved=true\
                 &revealSensitive=true&revealReason=annual%20inspection",
        ))
        .bearer_auth(&door.admin_token)
        .send()
        .await
        .expect("download")
}

#[tokio::test]
async fn an_export_downloads_over_http_as_an_xlsx_attachment_named_in_utf8() {
    let door = door_with_a_recorded_member().await;
    let response = download_register(&door).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\""),
        "{disposition}"
    );
    // 市直机关困难党员管理台账 …, percent-encoded UTF-8 per RFC 5987.
    assert!(
        disposition.contains("filename*=UTF-8''%E5%B8%82%E7%9B%B4"),
        "{disposition}"
    );
}

#[tokio::test]
async fn the_downloaded_register_is_a_real_workbook_with_the_member_as_the_department_sees_it() {
    let door = door_with_a_recorded_member().await;
    let response = download_register(&door).await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("bytes").to_vec();
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a real .xlsx");
    let range = workbook
        .worksheet_range("管理台账")
        .expect("the register sheet");
    assert_eq!(
        range.get_value((0, 0)).map(|v| v.to_string()),
        Some("市直机关困难党员管理台账".to_owned())
    );
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|row| row.iter().map(|cell| cell.to_string()).collect())
        .collect();
    let headings = &rows[2];
    let column = |name: &str| headings.iter().position(|h| h == name).expect(name);
    let line = &rows[3];
    assert_eq!(line[column("序号")], "1");
    assert_eq!(line[column("姓名")], "张建国");
    assert_eq!(line[column("困难类别")], "重大疾病");
    assert_eq!(
        line[column("家庭年收入（元）")],
        "36000",
        "the department sees incomes"
    );
    assert!(
        rows.iter()
            .any(|row| row.iter().any(|cell| cell.contains("党组织（盖章）")))
    );
}

#[tokio::test]
async fn too_many_requests_get_429_with_retry_information_and_recover() {
    let ledger = relief_tests::spawn_ledger().await;
    let gateway = relief_tests::spawn_gateway(
        &ledger,
        GatewayOptions {
            per_user_per_second: 1.0,
            per_user_burst: 3.0,
            ..GatewayOptions::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let login = super::login_json(
        &http,
        &gateway,
        relief_tests::ADMIN_LOGIN,
        relief_tests::ADMIN_PASSWORD,
    )
    .await;
    let token = login["tokens"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let list = || {
        http.post(gateway.url("/v1/relief.ledger.v1.LedgerService/ListOrgs"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
    };
    let mut limited = None;
    for _ in 0..5 {
        let response = list().await.expect("call");
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let limited = limited.expect("the burst runs out");
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry_after >= 1);
    let body: Value = limited.json().await.expect("json");
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    let status = ledger_client(&gateway, &token)
        .await
        .list_orgs(ledger::ListOrgsRequest::default())
        .await
        .expect_err("gRPC is limited too");
    assert_eq!(status.code(), Code::ResourceExhausted);

    tokio::time::sleep(
        std::time::Duration::from_secs(retry_after) + std::time::Duration::from_millis(300),
    )
    .await;
    assert_eq!(list().await.expect("call").status(), 200, "recovered");
}

#[tokio::test]
async fn every_answer_carries_a_request_id_security_headers_and_cors_for_allowed_origins() {
    let door = Door::new(GatewayOptions::default()).await;
    let response = door
        .http
        .get(door.gateway.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .expect("health");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let generated = door
        .http
        .get(door.gateway.url("/healthz"))
        .send()
        .await
        .expect("health");
    let id = generated.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "a generated id: {id}");

    let preflight = |origin: &'static str| {
        door.http
            .request(
                reqwest::Method::OPTIONS,
                door.gateway
                    .url("/relief.ledger.v1.LedgerService/GetMember"),
            )
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-grpc-web,authorization",
            )
            .send()
    };
    let allowed = preflight("https://relief.example")
        .await
        .expect("preflight");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://relief.example"
    );
    let refused = preflight("https://evil.example").await.expect("preflight");
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

/// (login, may list members, may read the audit trail), for a user of every
/// role but the department's.
const RIGHTS: [(&str, bool, bool); 6] = [
    ("staff.a", true, false),
    ("superior", true, false),
    ("committee", true, false),
    ("finance", true, false),
    ("auditor", true, true),
    ("zhang.jianguo", false, false),
];

/// The door with a user of every role — the superior organisation, the
/// committee, finance, an auditor, and 张建国, a member of the register who
/// logs in as themself — each logged in over JSON: (login, access token).
async fn every_role_logged_in() -> (Door, Vec<(&'static str, String)>) {
    let door = Door::new(GatewayOptions::default()).await;
    let superior = ledger::Org {
        org_id: door.branch_a.parent_id,
        name: "市财政局机关党委".into(),
        ..Default::default()
    };
    let committee = ledger::Org {
        org_id: 1,
        name: "市直机关工委".into(),
        ..Default::default()
    };
    for (login, role, org) in [
        ("superior", pb::Role::SuperiorOrg, &superior),
        ("committee", pb::Role::Committee, &committee),
        ("finance", pb::Role::Finance, &committee),
        ("auditor", pb::Role::Auditor, &committee),
    ] {
        door.user(login, role, org).await;
    }
    // A member of the register logs in as themself.
    let (status, member) = door
        .post(
            "relief.ledger.v1.LedgerService/CreateMember",
            &door.admin_token,
            member_json(door.branch_a.org_id, "张建国", &id_number("19580312", 9)),
        )
        .await;
    assert_eq!(status, 200);
    let mut admin = door.identity(&door.admin_token).await;
    let user = admin
        .create_user(pb::CreateUserRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user: Some(pb::User {
                login_name: "zhang.jianguo".into(),
                display_name: "张建国".into(),
                member_id: member["memberId"].as_str().map(str::to_owned),
                ..Default::default()
            }),
            initial_password: STAFF_PASSWORD.into(),
        })
        .await
        .expect("member user")
        .into_inner();
    // Ready to work at once, like the door's other users (no forced change).
    admin
        .set_password(pb::SetPasswordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            user_id: user.user_id.clone(),
            current_password: String::new(),
            new_password: STAFF_PASSWORD.into(),
            require_change: false,
        })
        .await
        .expect("password without forced change");
    admin
        .create_role_binding(pb::CreateRoleBindingRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            role_binding: Some(pb::RoleBinding {
                user_id: user.user_id,
                role: pb::Role::Member as i32,
                org: Some(relief_proto::common::v1::OrgRef {
                    org_id: door.branch_a.org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "本人".into(),
        })
        .await
        .expect("member role");

    let mut tokens = Vec::new();
    for (login, _, _) in RIGHTS {
        let token = super::login_json(&door.http, &door.gateway, login, STAFF_PASSWORD).await
            ["tokens"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned();
        tokens.push((login, token));
    }
    (door, tokens)
}

#[tokio::test]
async fn every_role_but_a_member_lists_members_over_json() {
    let (door, tokens) = every_role_logged_in().await;
    for ((login, token), (_, may_list, _)) in tokens.iter().zip(RIGHTS) {
        let (status, body) = door
            .post(
                "relief.ledger.v1.LedgerService/ListMembers",
                token,
                json!({}),
            )
            .await;
        assert_eq!(
            status,
            if may_list { 200 } else { 403 },
            "{login} listing members: {body}"
        );
    }
}

#[tokio::test]
async fn of_every_role_only_the_auditor_reads_the_audit_trail_over_json() {
    let (door, tokens) = every_role_logged_in().await;
    for ((login, token), (_, _, may_audit)) in tokens.iter().zip(RIGHTS) {
        let (status, _) = door
            .post(
                "relief.ledger.v1.LedgerService/VerifyAuditChain",
                token,
                json!({}),
            )
            .await;
        assert_eq!(
            status,
            if may_audit { 200 } else { 403 },
            "{login} reading the audit trail"
        );
    }
}

#[tokio::test]
async fn no_role_but_the_departments_builds_the_tree_over_json() {
    let (door, tokens) = every_role_logged_in().await;
    for (login, token) in &tokens {
        let (status, body) = door
            .post(
                "relief.ledger.v1.LedgerService/CreateOrg",
                token,
                json!({ "requestId": uuid::Uuid::new_v4().to_string(), "parentId": "1", "kind": "ORG_KIND_BRANCH", "name": "新支部" }),
            )
            .await;
        assert_eq!(status, 403, "{login} building the tree: {body}");
        assert_eq!(body["error"]["grpcCode"], 7);
    }
}

#[tokio::test]
async fn every_user_is_who_they_logged_in_as() {
    let (door, tokens) = every_role_logged_in().await;
    for (login, token) in &tokens {
        let (status, me) = door
            .post("relief.gateway.v1.IdentityService/WhoAmI", token, json!({}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(me["user"]["loginName"], *login);
    }
}
