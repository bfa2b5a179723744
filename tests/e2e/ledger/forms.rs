//! The register's forms cell by cell against the seed notice (§五.2 and its
//! attached forms), read back with calamine: every column of the register,
//! the new-members form counting people, the caller's own 填报单位, numbers
//! as numbers, the tree's order, Beijing time, 元 with two decimals. The
//! new-members form's own tests are in `new_members_form.rs`.

use calamine::Data;
use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;

use super::relief::relief;
use super::{Client, World, create_member, create_org, id_number, record_request};
use crate::xlsx::{cells, column, data_rows, download, sheet_at, sheet_names};

/// The register of `org_id` (0: the caller's own) with removed rows, masked
/// or unmasked: the file name and bytes.
async fn register(client: &mut Client, org_id: i64, reveal: bool) -> (String, Vec<u8>) {
    let stream = client
        .export_register(pb::ExportRegisterRequest {
            org_id,
            include_removed: true,
            reveal_sensitive: reveal,
            reveal_reason: if reveal {
                "年度核查".into()
            } else {
                String::new()
            },
        })
        .await
        .expect("the register")
        .into_inner();
    download(stream).await
}

pub(super) fn date(year: i32, month: i32, day: i32) -> Option<common::Date> {
    Some(common::Date { year, month, day })
}

/// A member of `branch` with a record of `category` since 2025-11-20.
pub(super) async fn on_register(
    dept: &mut Client,
    branch: &pb::Org,
    name: &str,
    sequence: u32,
    category: common::HardshipCategory,
) -> pb::HardshipRecord {
    let member = create_member(dept, branch, name, &id_number("19580312", sequence)).await;
    dept.create_record(record_request(&member.member_id, category, 3_600_000))
        .await
        .expect("record")
        .into_inner()
}

/// 张建国 (重大疾病) and 李秀英 (低保) under the superior organisation,
/// 王志强 (其他) directly under the committee.
pub(super) async fn three_on_register() -> (World, Client, Vec<pb::HardshipRecord>) {
    let world = World::new().await;
    let mut dept = world.department().await;
    let mut records = Vec::new();
    for (branch, name, sequence, category) in [
        (
            &world.branch_a,
            "张建国",
            11,
            common::HardshipCategory::MajorIllness,
        ),
        (
            &world.branch_b,
            "李秀英",
            12,
            common::HardshipCategory::MinimumLivingGuarantee,
        ),
        (
            &world.branch_direct,
            "王志强",
            13,
            common::HardshipCategory::Other,
        ),
    ] {
        records.push(on_register(&mut dept, branch, name, sequence, category).await);
    }
    (world, dept, records)
}

/// The row of a sheet whose first cell is `label`.
pub(super) fn labelled<'a>(rows: &'a [Vec<String>], label: &str) -> Vec<&'a Vec<String>> {
    rows.iter().filter(|r| r[0] == label).collect()
}

#[tokio::test]
async fn the_register_carries_every_column_of_the_measures_on_two_sheets() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    assert_eq!(sheet_names(&bytes), vec!["管理台账", "家庭及帮扶情况"]);
    let main = sheet_at(&bytes, 0);
    for heading in [
        "序号",
        "单位",
        "所在党支部",
        "姓名",
        "出生日期",
        "公民身份号码",
        "入党时间",
        "就业状况",
        "健康状况",
        "家庭人口",
        "家庭年收入（元）",
        "人均月收入（元）",
        "困难类别",
        "主要困难原因",
        "认定",
        "状态",
    ] {
        column(&main, heading);
    }
    assert!(
        !main[2].contains(&"在职/退休".to_owned()),
        "the heading matches 下岗 and 其他 too"
    );
    let detail = sheet_at(&bytes, 1);
    for heading in [
        "序号",
        "姓名",
        "工作单位",
        "家庭成员情况",
        "本人收入及来源",
        "困难情况",
        "帮扶情况",
        "移出原因",
        "联系电话",
    ] {
        column(&detail, heading);
    }
}

#[tokio::test]
async fn the_registers_total_row_counts_the_people_and_each_category() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let rows = sheet_at(&bytes, 0);
    let name = column(&rows, "姓名");
    let category = column(&rows, "困难类别");
    let total = labelled(&rows, "合计");
    assert_eq!(total.len(), 1);
    assert_eq!(total[0][name], "3.00");
    let per_category: Vec<(String, String)> = labelled(&rows, "其中")
        .into_iter()
        .map(|r| (r[category].clone(), r[name].clone()))
        .collect();
    for (kind, count) in [
        ("低保", "1.00"),
        ("重大疾病", "1.00"),
        ("其他", "1.00"),
        ("重大自然灾害", "0.00"),
    ] {
        assert!(
            per_category.contains(&(kind.to_owned(), count.to_owned())),
            "{kind}: {per_category:?}"
        );
    }
}

#[tokio::test]
async fn serial_numbers_and_household_sizes_are_numeric_cells() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let household = column(&sheet_at(&bytes, 0), "家庭人口");
    let raw = cells(&bytes, 0);
    let data: Vec<&Vec<Data>> = raw
        .iter()
        .skip(3)
        .filter(|r| matches!(r[0], Data::Float(_)))
        .collect();
    assert_eq!(data.len(), 3);
    for (index, row) in data.iter().enumerate() {
        assert_eq!(row[0], Data::Float((index + 1) as f64));
        assert_eq!(row[household], Data::Float(3.0));
    }
}

#[tokio::test]
async fn a_branch_clerks_register_is_filed_and_named_for_their_branch() {
    let (world, _dept, _) = three_on_register().await;
    let mut clerk = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let (name, bytes) = register(&mut clerk, 0, false).await;
    assert_eq!(name, "市直机关困难党员管理台账（预算科党支部）.xlsx");
    let subtitle = &sheet_at(&bytes, 0)[1][0];
    assert!(
        subtitle.contains("填报单位（党组织）：预算科党支部"),
        "{subtitle}"
    );
    assert!(!subtitle.contains("市直机关工委"), "{subtitle}");
}

#[tokio::test]
async fn the_register_groups_rows_by_unit_in_numeric_tree_order() {
    let world = World::new().await;
    let mut dept = world.department().await;
    assert_eq!(world.superior.org_id, 2, "the first unit is node 2");
    for filler in 0..9 {
        create_org(
            &mut dept,
            world.superior.org_id,
            pb::OrgKind::Branch,
            &format!("填充党支部{filler}"),
        )
        .await;
    }
    let unit_15 = dept
        .create_org(pb::CreateOrgRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            parent_id: 1,
            kind: pb::OrgKind::Superior as i32,
            name: "市教育局机关党委".into(),
            unit_name: "焦作市教育局".into(),
        })
        .await
        .expect("unit 15")
        .into_inner();
    assert_eq!(unit_15.org_id, 15);
    let branch_15 = create_org(
        &mut dept,
        unit_15.org_id,
        pb::OrgKind::Branch,
        "教研室党支部",
    )
    .await;
    // Registered first, so a listing by date or path text would put it first.
    on_register(
        &mut dept,
        &branch_15,
        "艾教员",
        21,
        common::HardshipCategory::Other,
    )
    .await;
    on_register(
        &mut dept,
        &world.branch_b,
        "钱国库",
        22,
        common::HardshipCategory::Other,
    )
    .await;
    on_register(
        &mut dept,
        &world.branch_a,
        "孙预算",
        23,
        common::HardshipCategory::Other,
    )
    .await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let rows = sheet_at(&bytes, 0);
    let (unit, branch, name) = (
        column(&rows, "单位"),
        column(&rows, "所在党支部"),
        column(&rows, "姓名"),
    );
    let order: Vec<(&str, &str, &str)> = data_rows(&rows)
        .iter()
        .map(|r| (r[unit].as_str(), r[branch].as_str(), r[name].as_str()))
        .collect();
    assert_eq!(
        order,
        vec![
            ("焦作市财政局", "预算科党支部", "孙预算"),
            ("焦作市财政局", "国库科党支部", "钱国库"),
            ("焦作市教育局", "教研室党支部", "艾教员"),
        ]
    );
}

#[tokio::test]
async fn the_register_writes_every_date_one_way() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, true).await;
    let rows = sheet_at(&bytes, 0);
    let row = data_rows(&rows)[0];
    assert_eq!(row[column(&rows, "出生日期")], "1958-03-12");
    assert_eq!(row[column(&rows, "入党时间")], "1990-07-01");
    assert_eq!(row[column(&rows, "状态")], "在册\n2025-11-20起");
}

#[tokio::test]
async fn the_unmasked_register_shows_the_family_with_health_and_income_and_the_members_own_income()
{
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, true).await;
    let detail = sheet_at(&bytes, 1);
    let row = data_rows(&detail)[0];
    assert_eq!(
        row[column(&detail, "家庭成员情况")],
        "配偶 配偶 62岁 无业 健康：高血压 年收入1,200.00元"
    );
    assert_eq!(
        row[column(&detail, "本人收入及来源")],
        "36,000.00元（退休金）"
    );
}

#[tokio::test]
async fn the_masked_register_omits_the_familys_health_and_income_and_the_members_own_income() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let detail = sheet_at(&bytes, 1);
    let row = data_rows(&detail)[0];
    assert_eq!(row[column(&detail, "家庭成员情况")], "配偶 配偶 62岁 无业");
    assert_eq!(row[column(&detail, "本人收入及来源")], "（已隐藏）");
}

#[tokio::test]
async fn the_register_shows_the_hardship_in_full() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let member = create_member(
        &mut dept,
        &world.branch_a,
        "张建国",
        &id_number("19580312", 31),
    )
    .await;
    let description = "本人患尿毒症，每周透析三次，".repeat(8) + "家中无其他收入来源。";
    assert!(description.chars().count() > 100);
    let mut request = record_request(
        &member.member_id,
        common::HardshipCategory::MajorIllness,
        3_600_000,
    );
    request.description = description.clone();
    dept.create_record(request).await.expect("record");
    let (_, bytes) = register(&mut dept, 0, false).await;
    let detail = sheet_at(&bytes, 1);
    assert_eq!(
        data_rows(&detail)[0][column(&detail, "困难情况")],
        description
    );
}

#[tokio::test]
async fn relief_the_workflow_recorded_fills_the_registers_help_column() {
    let (world, mut dept, records) = three_on_register().await;
    world
        .workflow()
        .await
        .record_relief_received(relief(&records[0].record_id, "disb-9", 300_000))
        .await
        .expect("relief received");
    let (_, bytes) = register(&mut dept, 0, false).await;
    let detail = sheet_at(&bytes, 1);
    let help = column(&detail, "帮扶情况");
    let rows = data_rows(&detail);
    assert_eq!(
        rows[0][help],
        "2025年 一次性困难救助 3,000.00元 凭证号2025-救-007 2026-01-20领取"
    );
    assert_eq!(rows[1][help], "", "nobody else received relief");
}

#[tokio::test]
async fn a_removed_row_shows_when_and_why_it_was_removed() {
    let (_world, mut dept, records) = three_on_register().await;
    dept.remove_record(pb::RemoveRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record_id: records[0].record_id.clone(),
        etag: records[0].etag.clone(),
        reason: "家庭收入已超过低保线".into(),
        until: date(2025, 12, 1),
    })
    .await
    .expect("removed");
    let (_, bytes) = register(&mut dept, 0, false).await;
    let main = sheet_at(&bytes, 0);
    assert_eq!(
        data_rows(&main)[0][column(&main, "状态")],
        "已移出\n2025-12-01"
    );
    let detail = sheet_at(&bytes, 1);
    assert_eq!(
        data_rows(&detail)[0][column(&detail, "移出原因")],
        "家庭收入已超过低保线"
    );
}

#[tokio::test]
async fn the_forms_generation_time_is_printed_in_beijing_time() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let subtitle = &sheet_at(&bytes, 0)[1][0];
    let today = relief_runtime::forms::beijing_date(time::OffsetDateTime::now_utc());
    assert!(
        subtitle.contains(&format!("生成时间：{today} ")),
        "{subtitle}"
    );
    assert!(subtitle.contains("（北京时间）"), "{subtitle}");
}

#[tokio::test]
async fn the_sign_off_has_a_phone_line_beside_the_filler() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = register(&mut dept, 0, false).await;
    let rows = sheet_at(&bytes, 0);
    let line = rows
        .iter()
        .find(|r| r[0] == "填表人（签字）：")
        .expect("the sign-off");
    let cells: Vec<&String> = line.iter().filter(|c| !c.is_empty()).collect();
    assert_eq!(cells[1], "联系电话：", "{cells:?}");
}
