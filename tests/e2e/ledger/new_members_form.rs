//! 《新增困难党员备案统计表》 read back with calamine: one row per person,
//! people removed again not filed, 认定 marked, the columns of the attached
//! form, and the clerk's own 填报单位 and file name.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;

use super::forms::{date, labelled, three_on_register};
use super::{Client, World, create_member, id_number, record_request};
use crate::xlsx::{column, data_rows, download, sheet_at};

/// The new-members form of 2025 of the caller's own subtree.
async fn new_members(client: &mut Client) -> (String, Vec<u8>) {
    let stream = client
        .export_new_members_form(pb::ExportNewMembersFormRequest {
            year: 2025,
            ..Default::default()
        })
        .await
        .expect("the new-members form")
        .into_inner();
    download(stream).await
}

#[tokio::test]
async fn a_member_removed_and_re_added_in_the_year_is_listed_once() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let member = create_member(
        &mut dept,
        &world.branch_a,
        "张建国",
        &id_number("19580312", 41),
    )
    .await;
    let mut first = record_request(
        &member.member_id,
        common::HardshipCategory::MajorIllness,
        3_600_000,
    );
    first.since = date(2025, 3, 1);
    let first = dept.create_record(first).await.expect("first").into_inner();
    dept.remove_record(pb::RemoveRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record_id: first.record_id,
        etag: first.etag,
        reason: "病情好转".into(),
        until: date(2025, 6, 1),
    })
    .await
    .expect("removed");
    let mut again = record_request(
        &member.member_id,
        common::HardshipCategory::MajorIllness,
        3_600_000,
    );
    again.since = date(2025, 9, 1);
    dept.create_record(again).await.expect("re-added");
    let (_, bytes) = new_members(&mut dept).await;
    let rows = sheet_at(&bytes, 0);
    assert_eq!(data_rows(&rows).len(), 1);
    assert!(rows[1][0].contains("共 1 人"), "{}", rows[1][0]);
    assert_eq!(labelled(&rows, "合计")[0][column(&rows, "姓名")], "1.00");
}

#[tokio::test]
async fn a_member_removed_again_in_the_year_is_not_filed_as_new() {
    let (_world, mut dept, records) = three_on_register().await;
    dept.remove_record(pb::RemoveRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record_id: records[0].record_id.clone(),
        etag: records[0].etag.clone(),
        reason: "困难已解除".into(),
        until: date(2025, 12, 1),
    })
    .await
    .expect("removed");
    let (_, bytes) = new_members(&mut dept).await;
    let rows = sheet_at(&bytes, 0);
    let name = column(&rows, "姓名");
    let names: Vec<&str> = data_rows(&rows).iter().map(|r| r[name].as_str()).collect();
    assert_eq!(names, vec!["李秀英", "王志强"]);
}

#[tokio::test]
async fn the_new_members_form_marks_whether_each_person_is_recognised() {
    let (_world, mut dept, records) = three_on_register().await;
    dept.recognise_record(pb::RecogniseRecordRequest {
        request_id: uuid::Uuid::new_v4().to_string(),
        record_id: records[1].record_id.clone(),
        etag: records[1].etag.clone(),
        comment: "符合条件".into(),
    })
    .await
    .expect("recognised");
    let (_, bytes) = new_members(&mut dept).await;
    let rows = sheet_at(&bytes, 0);
    let (name, mark) = (column(&rows, "姓名"), column(&rows, "认定"));
    let marks: Vec<(&str, &str)> = data_rows(&rows)
        .iter()
        .map(|r| (r[name].as_str(), r[mark].as_str()))
        .collect();
    assert_eq!(
        marks,
        vec![
            ("张建国", "待认定"),
            ("李秀英", "已认定"),
            ("王志强", "待认定")
        ]
    );
}

#[tokio::test]
async fn the_new_members_form_carries_the_columns_of_the_attached_form() {
    let (_world, mut dept, _) = three_on_register().await;
    let (_, bytes) = new_members(&mut dept).await;
    let main = sheet_at(&bytes, 0);
    for heading in [
        "单位",
        "所在党支部",
        "就业状况",
        "健康状况",
        "家庭人口",
        "认定",
        "联系电话",
    ] {
        column(&main, heading);
    }
    let detail = sheet_at(&bytes, 1);
    for heading in ["家庭成员", "困难情况", "支部意见/公示情况", "备注"] {
        column(&detail, heading);
    }
    let row = data_rows(&detail)[0];
    assert_eq!(row[column(&detail, "家庭成员")], "配偶 配偶 62岁 无业");
    assert_eq!(row[column(&detail, "困难情况")], "长期透析，家庭负担重");
}

#[tokio::test]
async fn a_branch_clerks_new_members_form_is_filed_and_named_for_their_branch() {
    let (world, _dept, _) = three_on_register().await;
    let mut clerk = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let (name, bytes) = new_members(&mut clerk).await;
    assert_eq!(
        name,
        "2025年度市直机关新增困难党员备案统计表（预算科党支部）.xlsx"
    );
    let rows = sheet_at(&bytes, 0);
    assert!(
        rows[1][0].contains("填报单位（党组织）：预算科党支部"),
        "{}",
        rows[1][0]
    );
    assert_eq!(data_rows(&rows).len(), 1);
}
