//! Demo data for `cargo xtask up`: an organisation tree with superior
//! organisations (one nested) and ten branches (one directly under the
//! committee), members with families, register rows across the categories,
//! and one user per role, created through the gateway, with a password.

mod campaign;
mod funds;
mod members;
mod workflow;

use std::collections::HashMap;

use anyhow::Context;
use relief_proto::common::v1 as common;
use relief_proto::common::v1::{Date, Money, OrgRef};
use relief_proto::gateway::v1 as identity;
use relief_proto::gateway::v1::identity_service_client::IdentityServiceClient;
use relief_proto::ledger::v1 as pb;
use relief_proto::ledger::v1::ledger_service_client::LedgerServiceClient;
use relief_runtime::auth::{Role, TokenSigner};
use tonic::Request;
use tonic::transport::Channel;

use funds::load_funds;
use members::MEMBERS;
use workflow::{DemoMember, load_cases};

/// The bootstrap administrator of a local run (development only).
pub const ADMIN_LOGIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "Relief-admin-2026";
/// The password of every demo user (development only).
const DEMO_PASSWORD: &str = "Relief-demo-2026";

fn role_proto(role: Role) -> identity::Role {
    match role {
        Role::Member => identity::Role::Member,
        Role::BranchStaff => identity::Role::BranchStaff,
        Role::SuperiorOrg => identity::Role::SuperiorOrg,
        Role::Department => identity::Role::Department,
        Role::Committee => identity::Role::Committee,
        Role::Finance => identity::Role::Finance,
        Role::Auditor => identity::Role::Auditor,
        Role::Operations => identity::Role::Operations,
        Role::Relay | Role::Notifier | Role::Reader => identity::Role::Unspecified,
    }
}

/// Signs tokens with the development gateway key (`deploy/dev-keys`).
pub fn dev_signer() -> anyhow::Result<TokenSigner> {
    let pem =
        std::fs::read_to_string(crate::workspace_root().join("deploy/dev-keys/gateway.key.pem"))?;
    TokenSigner::from_pem("gateway-dev", "relief-gateway", "relief-ledger", &pem)
}

/// The check character of GB 11643 for 17 digits.
pub(crate) fn with_check_digit(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{first17}{}", CHECK[(sum % 11) as usize] as char)
}

fn date(year: i32, month: i32, day: i32) -> Option<Date> {
    Some(Date { year, month, day })
}

struct Client<C> {
    inner: C,
    token: String,
    counter: u32,
}

impl<C> Client<C> {
    fn request<T>(&mut self, message: T) -> anyhow::Result<Request<T>> {
        let mut request = Request::new(message);
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {}", self.token).parse()?);
        Ok(request)
    }

    fn request_id(&mut self) -> String {
        self.counter += 1;
        format!("demo-{}-{}", std::process::id(), self.counter)
    }
}

impl Client<LedgerServiceClient<Channel>> {
    async fn org(
        &mut self,
        parent_id: i64,
        kind: pb::OrgKind,
        name: &str,
        unit: &str,
    ) -> anyhow::Result<pb::Org> {
        let request_id = self.request_id();
        let request = self.request(pb::CreateOrgRequest {
            request_id,
            parent_id,
            kind: kind as i32,
            name: name.to_owned(),
            unit_name: unit.to_owned(),
        })?;
        Ok(self.inner.create_org(request).await?.into_inner())
    }
}

/// Loads the demo data and returns what to print about logging in.
pub async fn load(ports: &HashMap<&str, u16>) -> anyhow::Result<String> {
    // Everything goes through the gateway, as the bootstrap administrator.
    let gateway_port = ports
        .get("gateway")
        .copied()
        .context("the gateway is not running")?;
    let gateway = Channel::from_shared(format!("http://127.0.0.1:{gateway_port}"))?
        .connect()
        .await?;
    let mut anonymous = IdentityServiceClient::new(gateway.clone());
    let login = |login_name: &str, password: &str| identity::LoginRequest {
        request_id: String::new(),
        login_name: login_name.to_owned(),
        password: password.to_owned(),
    };
    let admin_token = anonymous
        .login(login(ADMIN_LOGIN, ADMIN_PASSWORD))
        .await?
        .into_inner()
        .tokens
        .context("no tokens")?
        .access_token;
    let mut client = Client {
        inner: LedgerServiceClient::new(gateway.clone()),
        token: admin_token.clone(),
        counter: 0,
    };

    use pb::OrgKind::{Branch, Superior};
    let finance = client
        .org(1, Superior, "市财政局机关党委", "焦作市财政局")
        .await?;
    let education = client
        .org(1, Superior, "市教育局机关党委", "焦作市教育局")
        .await?;
    let health = client
        .org(1, Superior, "市卫健委机关党委", "焦作市卫生健康委员会")
        .await?;
    let education_direct = client
        .org(
            education.org_id,
            Superior,
            "市教育局直属单位党总支",
            "焦作市教育局",
        )
        .await?;
    let branches = vec![
        client
            .org(finance.org_id, Branch, "预算科党支部", "焦作市财政局")
            .await?,
        client
            .org(finance.org_id, Branch, "国库科党支部", "焦作市财政局")
            .await?,
        client
            .org(finance.org_id, Branch, "退休干部党支部", "焦作市财政局")
            .await?,
        client
            .org(education.org_id, Branch, "机关第一党支部", "焦作市教育局")
            .await?,
        client
            .org(education.org_id, Branch, "机关第二党支部", "焦作市教育局")
            .await?,
        client
            .org(
                education_direct.org_id,
                Branch,
                "电教馆党支部",
                "焦作市电化教育馆",
            )
            .await?,
        client
            .org(
                education_direct.org_id,
                Branch,
                "教研室党支部",
                "焦作市教学研究室",
            )
            .await?,
        client
            .org(
                health.org_id,
                Branch,
                "医政科党支部",
                "焦作市卫生健康委员会",
            )
            .await?,
        client
            .org(
                health.org_id,
                Branch,
                "疾控中心党支部",
                "焦作市疾病预防控制中心",
            )
            .await?,
        client
            .org(1, Branch, "市政府办公室党支部", "焦作市人民政府办公室")
            .await?,
    ];

    let mut first_member_id = String::new();
    let mut demo_members = Vec::new();
    for (index, demo) in MEMBERS.iter().enumerate() {
        let branch = &branches[demo.branch];
        let sequence = 100 + index * 2 + usize::from(demo.male);
        let id_number = with_check_digit(&format!("410802{}{:03}", demo.birth, sequence));
        let year: i32 = demo.birth[..4].parse()?;
        let request_id = client.request_id();
        let request = client.request(pb::CreateMemberRequest {
            request_id,
            member: Some(pb::Member {
                branch: Some(OrgRef {
                    org_id: branch.org_id,
                    ..Default::default()
                }),
                name: demo.name.to_owned(),
                id_number,
                party_join_date: date(year + 24, 7, 1),
                work_unit: branch.unit_name.clone(),
                employment_status: if year < 1965 {
                    pb::EmploymentStatus::Retired
                } else {
                    pb::EmploymentStatus::InPost
                } as i32,
                phone: format!("1390391{:04}", 1000 + index),
                address: format!("焦作市解放区民主路{}号", 10 + index),
                family_members: vec![
                    pb::FamilyMember {
                        relation: "配偶".to_owned(),
                        name: "（配偶）".to_owned(),
                        age: 2026 - year - 2,
                        occupation: "无业".to_owned(),
                        annual_income: Some(Money { fen: 0 }),
                        health: "一般".to_owned(),
                        able_to_work: false,
                    },
                    pb::FamilyMember {
                        relation: "子女".to_owned(),
                        name: "（子女）".to_owned(),
                        age: 2026 - year - 28,
                        occupation: "在校学生".to_owned(),
                        annual_income: Some(Money { fen: 0 }),
                        health: "健康".to_owned(),
                        able_to_work: true,
                    },
                ],
                sensitive: Some(pb::SensitiveInfo {
                    health_status: demo.cause.to_owned(),
                    own_annual_income: Some(Money {
                        fen: demo.income_yuan * 100,
                    }),
                    income_source: if year < 1965 { "退休金" } else { "工资" }.to_owned(),
                    ..Default::default()
                }),
                receives_dibao: demo.category == common::HardshipCategory::MinimumLivingGuarantee,
                ..Default::default()
            }),
        })?;
        let member = client.inner.create_member(request).await?.into_inner();
        if first_member_id.is_empty() {
            first_member_id = member.member_id.clone();
        }
        demo_members.push(DemoMember {
            member_id: member.member_id.clone(),
            branch_id: branch.org_id,
        });
        let request_id = client.request_id();
        let request = client.request(pb::CreateRecordRequest {
            request_id,
            member_id: member.member_id.clone(),
            category: demo.category as i32,
            cause: demo.cause.to_owned(),
            description: format!("{}，经支部核实情况属实。", demo.cause),
            household_size: demo.household,
            annual_household_income: Some(Money {
                fen: demo.income_yuan * 100,
            }),
            since: date(2024 + (index % 3) as i32, 11, 20),
            source_kind: pb::RecordSourceKind::Manual as i32,
            source_ref: String::new(),
        })?;
        let record = client.inner.create_record(request).await?.into_inner();
        if demo.recognised {
            let request_id = client.request_id();
            let request = client.request(pb::RecogniseRecordRequest {
                request_id,
                record_id: record.record_id.clone(),
                etag: record.etag.clone(),
                comment: "经组织部审核认定".to_owned(),
            })?;
            client.inner.recognise_record(request).await?;
        }
    }

    let users = [
        (
            "branch_staff",
            "预算科党支部 专干",
            Role::BranchStaff,
            branches[0].org_id,
            None,
        ),
        (
            "superior_org",
            "市财政局机关党委 委员",
            Role::SuperiorOrg,
            finance.org_id,
            None,
        ),
        ("department", "工委组织部 王主任", Role::Department, 1, None),
        ("committee", "工委会议 委员", Role::Committee, 1, None),
        ("finance", "工委财务 会计", Role::Finance, 1, None),
        ("auditor", "专项检查组 组长", Role::Auditor, 1, None),
        (
            "member",
            "张建国",
            Role::Member,
            branches[0].org_id,
            Some(first_member_id.clone()),
        ),
    ];
    let mut admin = Client {
        inner: IdentityServiceClient::new(gateway.clone()),
        token: admin_token.clone(),
        counter: 0,
    };
    let mut out = format!(
        "Logins (password for all: {DEMO_PASSWORD}; the administrator `{ADMIN_LOGIN}` has {ADMIN_PASSWORD}):\n"
    );
    let mut env_file = String::new();
    let mut finance_token = String::new();
    let mut tokens = HashMap::from([("admin".to_owned(), admin_token.clone())]);
    for (login_name, display, role, org_id, member_id) in users {
        let request_id = admin.request_id();
        let request = admin.request(identity::CreateUserRequest {
            request_id,
            user: Some(identity::User {
                login_name: login_name.to_owned(),
                display_name: display.to_owned(),
                // The notifications they get by e-mail land in the local
                // SMTP catcher (target/xtask/mail).
                email: format!("{login_name}@relief.example"),
                member_id,
                ..Default::default()
            }),
            initial_password: DEMO_PASSWORD.to_owned(),
        })?;
        let user = admin.inner.create_user(request).await?.into_inner();
        // Demo accounts: the administrator sets the password without the
        // forced change a new user gets, so the README's examples work at once.
        let request_id = admin.request_id();
        let request = admin.request(identity::SetPasswordRequest {
            request_id,
            user_id: user.user_id.clone(),
            current_password: String::new(),
            new_password: DEMO_PASSWORD.to_owned(),
            require_change: false,
        })?;
        admin.inner.set_password(request).await?;
        let request_id = admin.request_id();
        let request = admin.request(identity::CreateRoleBindingRequest {
            request_id,
            role_binding: Some(identity::RoleBinding {
                user_id: user.user_id.clone(),
                role: role_proto(role) as i32,
                org: Some(OrgRef {
                    org_id,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reason: "演示数据".to_owned(),
        })?;
        let binding = admin.inner.create_role_binding(request).await?.into_inner();
        let token = anonymous
            .login(login(login_name, DEMO_PASSWORD))
            .await?
            .into_inner()
            .tokens
            .context("no tokens")?
            .access_token;
        if role == Role::Finance {
            finance_token = token.clone();
        }
        tokens.insert(login_name.to_owned(), token.clone());
        let on = binding.org.map(|org| org.name).unwrap_or_default();
        out.push_str(&format!("  {login_name:<13} {display}  ({role} on {on})\n"));
        env_file.push_str(&format!(
            "export TOKEN_{}={token}\n",
            login_name.to_uppercase()
        ));
    }
    if ports.contains_key("funds") {
        load_funds(gateway.clone(), finance_token)
            .await
            .context("loading the demo budget")?;
        out.push_str("\nFunds: this year's relief budget (200,000 yuan from party dues) and relief standards are set.\n");
    }
    if ports.contains_key("workflow") {
        load_cases(gateway.clone(), &tokens, &demo_members)
            .await
            .context("loading the demo relief cases")?;
        out.push_str("Relief cases: a draft of 张建国's, one waiting for its branch, one under public notice, one with the committee, one refused and one withdrawn.\n");
        campaign::load_campaign(gateway.clone(), &tokens)
            .await
            .context("loading the demo campaign")?;
        out.push_str("Yearly verification: this year's campaign is open (collect by 30 Nov, submit by 10 Dec), every unit's 汇总表 issued; 市财政局机关党委 has collected its form and one row is verified.\n");
    }
    let env_path = crate::target_dir().join("xtask/tokens.env");
    std::fs::write(&env_path, env_file)?;
    out.push_str(&format!(
        "\nLog in over HTTP:\n  curl -s -X POST http://127.0.0.1:8080/v1/relief.gateway.v1.IdentityService/Login \\\n    -H 'content-type: application/json' -d '{{\"loginName\":\"department\",\"password\":\"{DEMO_PASSWORD}\"}}'\n\
         OpenAPI: http://127.0.0.1:8080/openapi.json\n\
         Access tokens of this run (valid 5 minutes; log in again for more): source {}\n\
         then, e.g. (grpcurl uses server reflection):\n  grpcurl -plaintext -H \"authorization: Bearer $TOKEN_DEPARTMENT\" \\\n    -d '{{\"org_id\": 0}}' 127.0.0.1:{gateway_port} relief.ledger.v1.LedgerService/ListRecords\n",
        env_path.display()
    ));
    Ok(out)
}
