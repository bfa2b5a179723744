//! 《生活困难党员救助审批表》 as a clerk downloads it and an Excel reader
//! reads it: the case's data, each level's opinion or its blank block, the
//! caller's own organisation as 填报单位, and nobody else's case.

use relief_proto::workflow::v1 as pb;
use relief_runtime::auth::Role;
use tonic::Code;

use super::{Applications, Workflow, to_notice};
use crate::xlsx::{download, sheet_at};

async fn form(client: &mut Applications, application_id: &str) -> Result<(String, String), Code> {
    let stream = client
        .export_approval_form(pb::ExportApprovalFormRequest {
            application_id: application_id.to_owned(),
        })
        .await
        .map_err(|status| status.code())?
        .into_inner();
    let (name, bytes) = download(stream).await;
    let text = sheet_at(&bytes, 0)
        .into_iter()
        .flatten()
        .filter(|cell| !cell.is_empty())
        .collect::<Vec<_>>()
        .join("|");
    Ok((name, text))
}

#[tokio::test]
async fn the_branch_prints_the_form_of_a_case_under_notice() {
    let workflow = Workflow::start().await;
    let case = to_notice(&workflow, "g-1", 12, "/1/4/12/").await;
    let (name, text) = form(&mut workflow.branch_staff().await, &case.application_id)
        .await
        .expect("the branch prints it");
    assert_eq!(name, "生活困难党员救助审批表（党员g-1）.xlsx");
    for expected in [
        "生活困难党员救助审批表",
        "预算科党支部",
        "党员g-1",
        "经入户核实，家庭困难情况属实",
        "公示中",
        "王芳",
    ] {
        assert!(text.contains(expected), "{expected} is on the form: {text}");
    }
    assert!(!text.contains("None"), "no None on paper: {text}");
    assert!(
        !text.contains("不经复审"),
        "branch 12 has a superior review: {text}"
    );
}

#[tokio::test]
async fn a_branch_under_the_committee_prints_no_superior_review_and_others_see_nothing() {
    let workflow = Workflow::start().await;
    let case = to_notice(&workflow, "g-2", 7, "/1/7/").await;
    let mut department = workflow.as_role(Role::Department, "/1/").await;
    let (_, text) = form(&mut department, &case.application_id)
        .await
        .expect("the department prints it");
    assert!(text.contains("工委直属，不经复审"), "{text}");
    assert!(
        text.contains("市直机关工委"),
        "the department's own unit files it: {text}"
    );
    let mut other = workflow.as_role(Role::BranchStaff, "/1/4/13/").await;
    assert_eq!(
        form(&mut other, &case.application_id).await.err(),
        Some(Code::NotFound)
    );
}
