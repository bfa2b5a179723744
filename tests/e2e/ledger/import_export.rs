//! Bulk import of an existing paper register, the forms as .xlsx read back by
//! an independent reader, and statistics.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Client, World, all_members, create_member, id_number, member, record_request};

fn row(
    number: i32,
    request_id: &str,
    member: pb::Member,
    record: Option<pb::CreateRecordRequest>,
) -> pb::ImportRow {
    pb::ImportRow {
        row_number: number,
        request_id: request_id.to_owned(),
        member: Some(member),
        record,
    }
}

#[tokio::test]
async fn import_answers_each_row_and_a_bad_row_never_stops_the_good_ones() {
    let world = World::new().await;
    let mut staff = world.as_role(Role::BranchStaff, &world.branch_a).await;
    let existing = id_number("19500101", 50);
    create_member(&mut staff, &world.branch_a, "已登记", &existing).await;

    let mut nameless = member(&world.branch_a, "", &id_number("19500101", 52));
    nameless.work_unit.clear();
    let mut bad_record = record_request("", common::HardshipCategory::Unspecified, -5);
    bad_record.household_size = 0;
    let rows = vec![
        row(
            2,
            "imp-2",
            member(&world.branch_a, "甲", &id_number("19500101", 51)),
            Some(record_request(
                "",
                common::HardshipCategory::MajorIllness,
                2_000_000,
            )),
        ),
        row(3, "imp-3", nameless, None),
        row(
            4,
            "imp-4",
            member(&world.branch_a, "乙", "410802195001010000"),
            None,
        ),
        row(
            5,
            "imp-5",
            member(&world.branch_a, "丙", &id_number("19500101", 53)),
            None,
        ),
        row(6, "imp-6", member(&world.branch_a, "重复", &existing), None),
        row(
            7,
            "imp-7",
            member(&world.branch_b, "外支部", &id_number("19500101", 54)),
            None,
        ),
        row(
            8,
            "imp-8",
            member(&world.branch_a, "丁", &id_number("19500101", 55)),
            Some(bad_record),
        ),
        row(
            9,
            "imp-9",
            member(&world.branch_a, "戊", &id_number("19500101", 56)),
            Some(record_request("", common::HardshipCategory::Other, 900_000)),
        ),
    ];
    let response = staff
        .import_members(futures::stream::iter(rows.clone()))
        .await
        .expect("import")
        .into_inner();
    assert_eq!(
        (response.imported, response.refused),
        (3, 5),
        "{response:#?}"
    );
    let by_row = |n: i32| {
        response
            .results
            .iter()
            .find(|r| r.row_number == n)
            .expect("row answered")
    };
    let fields = |n: i32| {
        by_row(n)
            .errors
            .iter()
            .map(|e| e.field.clone())
            .collect::<Vec<_>>()
    };
    assert!(by_row(2).ok && !by_row(2).record_id.is_empty());
    assert_eq!(fields(3), vec!["member.name", "member.work_unit"]);
    assert_eq!(fields(4), vec!["member.id_number"]);
    assert!(by_row(5).ok && by_row(5).record_id.is_empty());
    assert_eq!(fields(6), vec!["member.id_number"]);
    assert_eq!(
        fields(7),
        vec!["member.branch.org_id"],
        "a branch imports into itself only"
    );
    assert_eq!(
        fields(8),
        vec![
            "record.category",
            "record.household_size",
            "record.annual_household_income"
        ]
    );
    assert!(by_row(9).ok);
    assert_eq!(
        all_members(&world).await.len(),
        4,
        "the existing member and three imported"
    );

    // The same import again (a client retrying after a lost answer) adds nothing.
    let again = staff
        .import_members(futures::stream::iter(rows))
        .await
        .expect("re-import")
        .into_inner();
    assert_eq!(again.imported, 3);
    assert_eq!(again.results[0].member_id, by_row(2).member_id);
    assert_eq!(all_members(&world).await.len(), 4);

    let records = staff
        .list_records(pb::ListRecordsRequest::default())
        .await
        .expect("records")
        .into_inner()
        .records;
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.source_kind == pb::RecordSourceKind::Import as i32)
    );
}

async fn download(
    stream: tonic::Streaming<relief_proto::common::v1::FileChunk>,
) -> (String, Vec<u8>) {
    let mut stream = stream;
    let mut name = String::new();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.message().await.expect("chunk") {
        if name.is_empty() {
            name = chunk.file_name.clone();
            assert_eq!(
                chunk.content_type,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            );
        }
        bytes.extend(chunk.data);
    }
    (name, bytes)
}

fn sheet(bytes: Vec<u8>) -> Vec<Vec<String>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a real .xlsx");
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).expect("first sheet");
    range
        .rows()
        .map(|cells| {
            cells
                .iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::Float(value) => format!("{value:.2}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

async fn register_rows(client: &mut Client, org_id: i64) -> (String, Vec<Vec<String>>) {
    let stream = client
        .export_register(pb::ExportRegisterRequest {
            org_id,
            include_removed: true,
        })
        .await
        .expect("export")
        .into_inner();
    let (name, bytes) = download(stream).await;
    (name, sheet(bytes))
}

#[tokio::test]
async fn the_register_and_the_yearly_form_open_in_an_independent_reader() {
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

    // The department sees everything unmasked (and the export is logged as a read).
    let (name, rows) = register_rows(&mut dept, world.superior.org_id).await;
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
    let col = |heading: &str| headings.iter().position(|h| h == heading).expect("heading");
    let data: Vec<&Vec<String>> = rows[3..]
        .iter()
        .filter(|r| !r[col("姓名")].is_empty())
        .collect();
    let names: Vec<&str> = data.iter().map(|r| r[col("姓名")].as_str()).collect();
    assert_eq!(
        names,
        vec!["张建国", "李秀英"],
        "only the superior's subtree"
    );
    assert_eq!(data[0][col("公民身份号码")], id_a);
    assert_eq!(data[0][col("家庭年收入（元）")], "36000.00");
    assert_eq!(data[0][col("人均月收入（元）")], "1000.00");
    assert_eq!(data[1][col("困难类别")], "低保");
    assert!(
        rows.iter()
            .flatten()
            .any(|cell| cell.contains("党组织（盖章）")),
        "seal line"
    );

    // A superior organisation exports its subtree masked.
    let mut superior = world.as_role(Role::SuperiorOrg, &world.superior).await;
    let (_, rows) = register_rows(&mut superior, 0).await;
    let masked = &rows[3][col("公民身份号码")];
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(rows[3][col("家庭年收入（元）")], "（已隐藏）");
    let status = superior
        .export_register(pb::ExportRegisterRequest {
            org_id: world.branch_direct.org_id,
            include_removed: false,
        })
        .await
        .expect_err("outside the subtree");
    assert_eq!(status.code(), Code::PermissionDenied);

    let stream = dept
        .export_new_members_form(pb::ExportNewMembersFormRequest {
            year: 2025,
            org_id: 0,
        })
        .await
        .expect("yearly form")
        .into_inner();
    let (name, bytes) = download(stream).await;
    assert_eq!(name, "2025年度市直机关新增困难党员备案统计表.xlsx");
    let rows = sheet(bytes);
    assert_eq!(rows[0][0], "2025年度市直机关新增困难党员备案统计表");
    let numbered = |rows: &[Vec<String>]| {
        rows.iter()
            .skip(3)
            .filter(|r| r[0].parse::<u32>().is_ok())
            .count()
    };
    assert_eq!(numbered(&rows), 3);
    let empty = dept
        .export_new_members_form(pb::ExportNewMembersFormRequest {
            year: 2024,
            org_id: 0,
        })
        .await
        .expect("empty year")
        .into_inner();
    let rows = sheet(download(empty).await.1);
    assert_eq!(numbered(&rows), 0);
}

#[tokio::test]
async fn statistics_count_recognised_rows_by_unit_and_category() {
    let world = World::new().await;
    let mut dept = world.department().await;
    let mut records = Vec::new();
    for (n, (branch, category)) in [
        (&world.branch_a, common::HardshipCategory::MajorIllness),
        (&world.branch_b, common::HardshipCategory::MajorIllness),
        (&world.branch_b, common::HardshipCategory::Other),
        (&world.branch_direct, common::HardshipCategory::Other),
    ]
    .into_iter()
    .enumerate()
    {
        let member = create_member(
            &mut dept,
            branch,
            &format!("成员{n}"),
            &id_number("19660101", 70 + n as u32),
        )
        .await;
        records.push(
            dept.create_record(record_request(&member.member_id, category, 1_000_000))
                .await
                .expect("record")
                .into_inner(),
        );
    }
    // Three of the four are recognised; the unrecognised one does not count.
    for record in &records[..3] {
        dept.recognise_record(pb::RecogniseRecordRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            record_id: record.record_id.clone(),
            etag: record.etag.clone(),
            comment: "认定".into(),
        })
        .await
        .expect("recognise");
    }
    let stats = dept
        .get_statistics(pb::GetStatisticsRequest {
            org_id: 0,
            year: 2025,
        })
        .await
        .expect("statistics")
        .into_inner();
    assert_eq!(stats.total_active, 3);
    assert_eq!(stats.total_added, 3);
    let superior_cells: Vec<_> = stats
        .cells
        .iter()
        .filter(|c| {
            c.unit
                .as_ref()
                .is_some_and(|u| u.org_id == world.superior.org_id)
        })
        .collect();
    assert_eq!(
        superior_cells.len(),
        2,
        "illness and other under the superior: {stats:#?}"
    );
    let illness = superior_cells
        .iter()
        .find(|c| c.category == common::HardshipCategory::MajorIllness as i32)
        .expect("illness cell");
    assert_eq!(illness.active, 2);
    let before = dept
        .get_statistics(pb::GetStatisticsRequest {
            org_id: 0,
            year: 2024,
        })
        .await
        .expect("statistics")
        .into_inner();
    assert_eq!(
        before.total_active, 0,
        "nothing was on the register in 2024"
    );
}
