//! The forms as .xlsx read back by an independent reader: masked by default,
//! unmasked only when asked for with a reason by a role that may, and then
//! every member shown is logged as read.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Client, World, create_member, id_number, record_request};
use crate::xlsx::{column, data_rows, download, numbered, sheet};

/// The register of `org_id` as the caller gets it by default: masked.
async fn register_rows(client: &mut Client, org_id: i64) -> (String, Vec<Vec<String>>) {
    register_rows_asking(client, org_id, false, "").await
}

/// The register of `org_id`, asked unmasked for `reason` when `reveal`.
async fn register_rows_asking(
    client: &mut Client,
    org_id: i64,
    reveal: bool,
    reason: &str,
) -> (String, Vec<Vec<String>>) {
    let stream = client
        .export_register(pb::ExportRegisterRequest {
            org_id,
            include_removed: true,
            reveal_sensitive: reveal,
            reveal_reason: reason.to_owned(),
        })
        .await
        .expect("export")
        .into_inner();
    let (name, bytes) = download(stream).await;
    (name, sheet(bytes))
}

/// 张建国 in branch A and 李秀英 in branch B (under the superior
/// organisation), 王志强 directly under the committee, each with a record
/// since November 2025; and the department that registered them.
struct Register {
    world: World,
    dept: Client,
    /// 张建国's ID number.
    id_a: String,
}

async fn three_members_on_the_register() -> Register {
    let world = World::new().await;
    let mut dept = world.department().await;
    let id_a = id_number("19580312", 61);
    let a = create_member(&mut dept, &world.branch_a, "张建国", &id_a).await;
    let b = create_member(
        &mut dept,
        &world.branch_b,
        "李秀英",
        &id_number("19620705", 62),
    )
    .await;
    let outside = create_member(
        &mut dept,
        &world.branch_direct,
        "王志强",
        &id_number("19700120", 63),
    )
    .await;
    for (member, category, fen) in [
        (&a, common::HardshipCategory::MajorIllness, 3_600_000),
        (
            &b,
            common::HardshipCategory::MinimumLivingGuarantee,
            1_440_000,
        ),
        (&outside, common::HardshipCategory::Other, 2_000_000),
    ] {
        dept.create_record(record_request(&member.member_id, category, fen))
            .await
            .expect("record");
    }
    Register { world, dept, id_a }
}

#[tokio::test]
async fn the_register_is_a_named_workbook_with_its_title_headings_and_seal_line() {
    let mut register = three_members_on_the_register().await;
    let superior = register.world.superior.org_id;
    let (name, rows) = register_rows(&mut register.dept, superior).await;
    assert!(
        name.starts_with("市直机关困难党员管理台账") && name.ends_with(".xlsx"),
        "{name}"
    );
    assert_eq!(rows[0][0], "市直机关困难党员管理台账");
    let headings = &rows[2];
    for heading in [
        "序号",
        "姓名",
        "公民身份号码",
        "家庭年收入（元）",
        "人均月收入（元）",
        "困难类别",
        "主要困难原因",
    ] {
        assert!(
            headings.contains(&heading.to_owned()),
            "missing heading {heading}: {headings:?}"
        );
    }
    assert!(
        rows.iter()
            .flatten()
            .any(|cell| cell.contains("党组织（盖章）")),
        "seal line"
    );
}

#[tokio::test]
async fn the_departments_register_of_a_subtree_asked_unmasked_with_a_reason_lists_that_subtree_unmasked()
 {
    let mut register = three_members_on_the_register().await;
    // The department may see everything unmasked, when it asks with a reason.
    let superior = register.world.superior.org_id;
    let (_, rows) = register_rows_asking(&mut register.dept, superior, true, "年度专项检查").await;
    let col = |heading: &str| column(&rows, heading);
    let data = data_rows(&rows);
    let names: Vec<&str> = data.iter().map(|r| r[col("姓名")].as_str()).collect();
    assert_eq!(
        names,
        vec!["张建国", "李秀英"],
        "only the superior's subtree"
    );
    assert_eq!(data[0][col("公民身份号码")], register.id_a);
    assert_eq!(data[0][col("家庭年收入（元）")], "36000.00");
    assert_eq!(data[0][col("人均月收入（元）")], "1000.00");
    assert_eq!(data[1][col("困难类别")], "低保");
}

#[tokio::test]
async fn a_superior_organisation_exports_its_subtree_masked() {
    let register = three_members_on_the_register().await;
    let mut superior = register
        .world
        .as_role(Role::SuperiorOrg, &register.world.superior)
        .await;
    let (_, rows) = register_rows(&mut superior, 0).await;
    let col = |heading: &str| column(&rows, heading);
    let masked = &rows[3][col("公民身份号码")];
    assert_eq!(
        masked,
        &format!("{}**********{}", &register.id_a[..6], &register.id_a[16..])
    );
    assert_eq!(rows[3][col("出生日期")], "1958", "the year only");
    assert_eq!(rows[3][col("家庭年收入（元）")], "（已隐藏）");
}

#[tokio::test]
async fn a_branchs_register_is_masked_unless_asked_unmasked() {
    let register = three_members_on_the_register().await;
    let mut staff = register
        .world
        .as_role(Role::BranchStaff, &register.world.branch_a)
        .await;
    let (_, rows) = register_rows(&mut staff, 0).await;
    let col = |heading: &str| column(&rows, heading);
    let data = data_rows(&rows);
    assert_eq!(data.len(), 1);
    let line = data[0].join("|");
    assert!(!line.contains(&register.id_a), "the full number: {line}");
    assert!(!line.contains("1958-03"), "the birth month: {line}");
    assert!(!line.contains("13903911234"), "the full phone: {line}");
    assert_eq!(
        data[0][col("公民身份号码")],
        "410802**********".to_owned() + &register.id_a[16..]
    );
    assert_eq!(data[0][col("家庭年收入（元）")], "（已隐藏）");
    assert_eq!(data[0][col("健康状况")], "（已隐藏）");
    let reads = sensitive_reads(&register.world, "").await;
    assert!(reads.is_empty(), "a masked export reads nothing: {reads:?}");
}

#[tokio::test]
async fn a_branchs_register_asked_unmasked_for_a_reason_is_unmasked() {
    let register = three_members_on_the_register().await;
    let mut staff = register
        .world
        .as_role(Role::BranchStaff, &register.world.branch_a)
        .await;
    let (_, rows) = register_rows_asking(&mut staff, 0, true, "核对救助名单").await;
    let col = |heading: &str| column(&rows, heading);
    let data = data_rows(&rows);
    assert_eq!(data[0][col("公民身份号码")], register.id_a);
    assert_eq!(data[0][col("出生日期")], "1958-03-12");
    assert_eq!(data[0][col("健康状况")], "尿毒症");
}

#[tokio::test]
async fn an_unmasked_register_without_a_reason_is_refused_on_reveal_reason() {
    let mut register = three_members_on_the_register().await;
    let status = register
        .dept
        .export_register(pb::ExportRegisterRequest {
            reveal_sensitive: true,
            reveal_reason: "   ".into(),
            ..Default::default()
        })
        .await
        .expect_err("no reason");
    assert_eq!(super::violated_fields(&status), vec!["reveal_reason"]);
    assert!(sensitive_reads(&register.world, "").await.is_empty());
}

#[tokio::test]
async fn an_unmasked_register_is_refused_to_roles_that_may_not_read_sensitive_data() {
    let register = three_members_on_the_register().await;
    let world = &register.world;
    for (role, org) in [
        (Role::SuperiorOrg, &world.superior),
        (Role::Committee, &world.superior),
        (Role::Finance, &world.superior),
    ] {
        let status = world
            .as_role(role, org)
            .await
            .export_register(pb::ExportRegisterRequest {
                reveal_sensitive: true,
                reveal_reason: "想看看".into(),
                ..Default::default()
            })
            .await
            .expect_err("may not read sensitive data");
        assert_eq!(
            status.code(),
            Code::PermissionDenied,
            "{role:?}: {status:?}"
        );
    }
    assert!(sensitive_reads(world, "").await.is_empty());
}

#[tokio::test]
async fn every_member_of_an_unmasked_register_shows_the_export_in_its_log_of_reads() {
    let mut register = three_members_on_the_register().await;
    let (_, rows) = register_rows_asking(&mut register.dept, 0, true, "年度专项检查").await;
    assert_eq!(data_rows(&rows).len(), 3);
    let members = super::all_members(&register.world).await;
    assert_eq!(members.len(), 3);
    for member in &members {
        let reads =
            sensitive_reads(&register.world, &format!("members/{}", member.member_id)).await;
        assert_eq!(reads.len(), 1, "{}: {reads:?}", member.name);
        assert!(reads[0].reason.contains("年度专项检查"), "{:?}", reads[0]);
        assert!(
            reads[0].reason.contains("export:register"),
            "{:?}",
            reads[0]
        );
        assert!(reads[0].reader.is_some());
    }
}

#[tokio::test]
async fn the_yearly_form_is_masked_unless_asked_unmasked_with_a_reason() {
    let mut register = three_members_on_the_register().await;
    let form = |reveal: bool, reason: &str| pb::ExportNewMembersFormRequest {
        year: 2025,
        org_id: register.world.superior.org_id,
        reveal_sensitive: reveal,
        reveal_reason: reason.to_owned(),
    };
    let masked = register
        .dept
        .export_new_members_form(form(false, ""))
        .await
        .expect("masked form")
        .into_inner();
    let rows = sheet(download(masked).await.1);
    let all = rows.iter().flatten().cloned().collect::<Vec<_>>().join("|");
    assert!(!all.contains(&register.id_a), "{all}");
    assert!(
        all.contains(&format!("410802**********{}", &register.id_a[16..])),
        "{all}"
    );
    assert!(sensitive_reads(&register.world, "").await.is_empty());

    let status = register
        .dept
        .export_new_members_form(form(true, ""))
        .await
        .expect_err("no reason");
    assert_eq!(super::violated_fields(&status), vec!["reveal_reason"]);

    let unmasked = register
        .dept
        .export_new_members_form(form(true, "备案统计"))
        .await
        .expect("unmasked form")
        .into_inner();
    let rows = sheet(download(unmasked).await.1);
    assert!(rows.iter().flatten().any(|cell| cell == &register.id_a));
    // Two members of the superior's subtree, a member and a record each.
    let reads = sensitive_reads(&register.world, "").await;
    assert_eq!(reads.len(), 4, "{reads:?}");
}

/// The log of unmasked reads (of `resource`, or all), as the auditor reads it.
async fn sensitive_reads(world: &World, resource: &str) -> Vec<pb::SensitiveRead> {
    world
        .auditor()
        .await
        .list_sensitive_reads(pb::ListSensitiveReadsRequest {
            resource: resource.to_owned(),
            ..Default::default()
        })
        .await
        .expect("the log of reads")
        .into_inner()
        .reads
}

#[tokio::test]
async fn a_superior_organisation_may_not_export_outside_its_subtree() {
    let register = three_members_on_the_register().await;
    let status = register
        .world
        .as_role(Role::SuperiorOrg, &register.world.superior)
        .await
        .export_register(pb::ExportRegisterRequest {
            org_id: register.world.branch_direct.org_id,
            ..Default::default()
        })
        .await
        .expect_err("outside the subtree");
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn the_yearly_form_lists_the_years_new_members() {
    let mut register = three_members_on_the_register().await;
    let stream = register
        .dept
        .export_new_members_form(pb::ExportNewMembersFormRequest {
            year: 2025,
            ..Default::default()
        })
        .await
        .expect("yearly form")
        .into_inner();
    let (name, bytes) = download(stream).await;
    assert_eq!(
        name,
        "2025年度市直机关新增困难党员备案统计表（市直机关工委）.xlsx"
    );
    let rows = sheet(bytes);
    assert_eq!(rows[0][0], "2025年度市直机关新增困难党员备案统计表");
    assert_eq!(numbered(&rows), 3);
}

#[tokio::test]
async fn the_yearly_form_of_a_year_without_new_members_is_empty() {
    let mut register = three_members_on_the_register().await;
    let empty = register
        .dept
        .export_new_members_form(pb::ExportNewMembersFormRequest {
            year: 2024,
            ..Default::default()
        })
        .await
        .expect("empty year")
        .into_inner();
    let rows = sheet(download(empty).await.1);
    assert_eq!(numbered(&rows), 0);
}
