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

/// Branch A's staff import eight rows of a paper register, with 已登记
/// already registered: three good rows (two with a record), and five bad
/// ones, each bad in its own way.
struct ImportedRegister {
    world: World,
    staff: Client,
    rows: Vec<pb::ImportRow>,
    response: pb::ImportMembersResponse,
}

async fn imported_register() -> ImportedRegister {
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
    ImportedRegister {
        world,
        staff,
        rows,
        response,
    }
}

impl ImportedRegister {
    /// The answer to row `n` of the sheet.
    fn row(&self, n: i32) -> &pb::ImportRowResult {
        self.response
            .results
            .iter()
            .find(|r| r.row_number == n)
            .expect("row answered")
    }

    /// The fields row `n` was refused for.
    fn fields(&self, n: i32) -> Vec<String> {
        self.row(n)
            .errors
            .iter()
            .map(|e| e.field.clone())
            .collect::<Vec<_>>()
    }

    async fn records(&mut self) -> Vec<pb::HardshipRecord> {
        self.staff
            .list_records(pb::ListRecordsRequest::default())
            .await
            .expect("records")
            .into_inner()
            .records
    }
}

#[tokio::test]
async fn good_rows_are_imported_with_their_record_if_they_have_one() {
    let import = imported_register().await;
    assert!(import.row(2).ok && !import.row(2).record_id.is_empty());
    assert!(import.row(5).ok && import.row(5).record_id.is_empty());
    assert!(import.row(9).ok);
}

#[tokio::test]
async fn a_bad_row_is_answered_with_each_bad_field() {
    let import = imported_register().await;
    assert_eq!(import.fields(3), vec!["member.name", "member.work_unit"]);
    assert_eq!(import.fields(4), vec!["member.id_number"]);
    assert_eq!(
        import.fields(8),
        vec![
            "record.category",
            "record.household_size",
            "record.annual_household_income"
        ]
    );
}

#[tokio::test]
async fn a_row_of_someone_already_registered_is_refused() {
    let import = imported_register().await;
    assert_eq!(import.fields(6), vec!["member.id_number"]);
}

#[tokio::test]
async fn a_branch_imports_into_itself_only() {
    let import = imported_register().await;
    assert_eq!(
        import.fields(7),
        vec!["member.branch.org_id"],
        "a branch imports into itself only"
    );
}

#[tokio::test]
async fn a_bad_row_never_stops_the_good_ones() {
    let import = imported_register().await;
    let response = &import.response;
    assert_eq!(
        (response.imported, response.refused),
        (3, 5),
        "{response:#?}"
    );
    assert_eq!(
        all_members(&import.world).await.len(),
        4,
        "the existing member and three imported"
    );
}

#[tokio::test]
async fn imported_records_are_marked_as_imported() {
    let mut import = imported_register().await;
    let records = import.records().await;
    assert_eq!(records.len(), 2);
    assert!(
        records
            .iter()
            .all(|r| r.source_kind == pb::RecordSourceKind::Import as i32)
    );
}

#[tokio::test]
async fn the_same_import_again_adds_nothing() {
    let mut import = imported_register().await;
    let records = import.records().await;
    // The same import again (a client retrying after a lost answer).
    let again = import
        .staff
        .import_members(futures::stream::iter(import.rows.clone()))
        .await
        .expect("re-import")
        .into_inner();
    assert_eq!(again.imported, 3);
    assert_eq!(again.results[0].member_id, import.row(2).member_id);
    assert_eq!(all_members(&import.world).await.len(), 4);
    let records_again = import.records().await;
    assert_eq!(records_again.len(), 2);
    assert_eq!(records_again, records, "the records are as they were");
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

/// The column under `heading` in the headings row of a register.
fn column(rows: &[Vec<String>], heading: &str) -> usize {
    rows[2].iter().position(|h| h == heading).expect("heading")
}

/// The data rows of a register (those with a name).
fn data_rows(rows: &[Vec<String>]) -> Vec<&Vec<String>> {
    let name = column(rows, "姓名");
    rows[3..].iter().filter(|r| !r[name].is_empty()).collect()
}

/// Rows numbered as entries in a yearly form.
fn numbered(rows: &[Vec<String>]) -> usize {
    rows.iter()
        .skip(3)
        .filter(|r| r[0].parse::<u32>().is_ok())
        .count()
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
async fn the_departments_register_of_a_subtree_lists_that_subtree_unmasked() {
    let mut register = three_members_on_the_register().await;
    // The department sees everything unmasked (and the export is logged as a read).
    let superior = register.world.superior.org_id;
    let (_, rows) = register_rows(&mut register.dept, superior).await;
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
    assert!(masked.contains("********"), "{masked}");
    assert_eq!(rows[3][col("家庭年收入（元）")], "（已隐藏）");
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
            include_removed: false,
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
            org_id: 0,
        })
        .await
        .expect("yearly form")
        .into_inner();
    let (name, bytes) = download(stream).await;
    assert_eq!(name, "2025年度市直机关新增困难党员备案统计表.xlsx");
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
            org_id: 0,
        })
        .await
        .expect("empty year")
        .into_inner();
    let rows = sheet(download(empty).await.1);
    assert_eq!(numbered(&rows), 0);
}

/// Four members with a record each — major illness in branches A and B,
/// other hardship in B and in the branch under the committee — of which
/// the department recognised the first three.
async fn three_of_four_recognised() -> (World, Client) {
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
    (world, dept)
}

async fn statistics(dept: &mut Client, year: i32) -> pb::Statistics {
    dept.get_statistics(pb::GetStatisticsRequest { org_id: 0, year })
        .await
        .expect("statistics")
        .into_inner()
}

#[tokio::test]
async fn statistics_count_only_recognised_rows() {
    let (_world, mut dept) = three_of_four_recognised().await;
    let stats = statistics(&mut dept, 2025).await;
    assert_eq!(stats.total_active, 3);
    assert_eq!(stats.total_added, 3);
}

#[tokio::test]
async fn statistics_are_broken_down_by_unit_and_category() {
    let (world, mut dept) = three_of_four_recognised().await;
    let stats = statistics(&mut dept, 2025).await;
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
}

#[tokio::test]
async fn statistics_of_a_year_before_the_register_are_empty() {
    let (_world, mut dept) = three_of_four_recognised().await;
    let before = statistics(&mut dept, 2024).await;
    assert_eq!(
        before.total_active, 0,
        "nothing was on the register in 2024"
    );
}
