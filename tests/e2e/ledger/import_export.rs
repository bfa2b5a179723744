//! Bulk import of an existing paper register, and statistics.

use relief_proto::common::v1 as common;
use relief_proto::ledger::v1 as pb;
use relief_runtime::auth::Role;

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
