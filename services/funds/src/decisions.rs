//! 工委会议决定 — the committee decision an allocation cites, checked with the
//! workflow service, which owns decisions (SPEC §9: never believe the
//! caller). [`WorkflowCheck`] reads the application from the workflow as the
//! funds service's own principal (its department role reads applications)
//! and refuses an allocation whose application is unknown or not APPROVED,
//! or whose decision, member, year, type, category, amount, special case or
//! meeting differ from what the committee recorded.
//!
//! Without a workflow (`peers.workflow` or the signing key unset) nothing can
//! be confirmed and allocations are refused UNAVAILABLE ([`Unconfirmable`]) —
//! unless `funds.accept_cited_decisions` is set, for a funds service run on
//! its own (its tests, a migration of past years' books): then the citation
//! is recorded as given ([`CitedOnly`]), and the start-up log says so.

use std::sync::Arc;

use futures::future::BoxFuture;
use relief_proto::workflow::v1 as workflow;
use relief_proto::workflow::v1::application_service_client::ApplicationServiceClient;
use relief_runtime::auth::ServicePrincipal;
use relief_runtime::client::{ServiceChannel, service_channel};
use relief_runtime::config::PeerSettings;
use relief_runtime::error::{Error, Result};
use tonic::{Code, Status};

use crate::domain::commands::AllocationOrder;
use crate::events::WORKFLOW;
use crate::register::RegisteredMember;

/// Refused because the workflow has no approved decision as cited.
pub const DECISION_NOT_CONFIRMED: &str = "DECISION_NOT_CONFIRMED";

/// Confirms that the committee decided what an allocation carries out.
pub trait DecisionCheck: Send + Sync {
    /// `Ok` when the decision cited by `order` stands for `member`; a
    /// refusal (FAILED_PRECONDITION with its reason) otherwise.
    fn confirm<'a>(
        &'a self,
        order: &'a AllocationOrder,
        member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>>;
}

/// The check this service runs with, from its peers and settings.
pub fn configured(
    peers: &PeerSettings,
    principal: Option<&Arc<ServicePrincipal>>,
    accept_cited: bool,
) -> anyhow::Result<Arc<dyn DecisionCheck>> {
    if let Some(channel) = service_channel(peers, WORKFLOW, principal)? {
        return Ok(Arc::new(WorkflowCheck {
            workflow: ApplicationServiceClient::new(channel),
        }));
    }
    if accept_cited {
        tracing::warn!(
            "no workflow service (peers.workflow, auth.service_signing_key) and funds.accept_cited_decisions is set: committee decisions are recorded as cited, unchecked"
        );
        Ok(Arc::new(CitedOnly))
    } else {
        tracing::warn!(
            "no workflow service (peers.workflow, auth.service_signing_key): allocations are refused until one is configured"
        );
        Ok(Arc::new(Unconfirmable))
    }
}

/// Asks the workflow service.
pub struct WorkflowCheck {
    workflow: ApplicationServiceClient<ServiceChannel>,
}

impl DecisionCheck for WorkflowCheck {
    fn confirm<'a>(
        &'a self,
        order: &'a AllocationOrder,
        member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>> {
        let mut workflow = self.workflow.clone();
        Box::pin(async move {
            let answer = workflow
                .get_application(workflow::GetApplicationRequest {
                    application_id: order.application_id.clone(),
                    ..Default::default()
                })
                .await;
            let application = match answer {
                Ok(application) => application.into_inner(),
                Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
                    return Err(not_confirmed(format!(
                        "the workflow has no application {}",
                        order.application_id
                    )));
                }
                Err(status) => return Err(unanswered(status)),
            };
            mismatch(order, member, &application).map_or(Ok(()), |why| {
                Err(not_confirmed(format!(
                    "application {}: {why}; an allocation carries out the committee's decision as recorded",
                    order.application_id
                )))
            })
        })
    }
}

fn not_confirmed(message: String) -> Error {
    Error::refused(DECISION_NOT_CONFIRMED, message)
}

fn unanswered(status: Status) -> Error {
    match status.code() {
        Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled | Code::ResourceExhausted => {
            Error::Upstream(Box::new(Status::unavailable(format!(
                "the workflow did not answer funds' check of the committee decision: {}",
                status.message()
            ))))
        }
        _ => Error::internal(
            "checking the committee decision with the workflow",
            format!("{:?}: {}", status.code(), status.message()),
        ),
    }
}

/// Why `application` does not back `order`, if it does not.
pub fn mismatch(
    order: &AllocationOrder,
    member: &RegisteredMember,
    application: &workflow::Application,
) -> Option<String> {
    if application.state != workflow::ApplicationState::Approved as i32 {
        let state = workflow::ApplicationState::try_from(application.state)
            .unwrap_or_default()
            .as_str_name();
        return Some(format!("it is {state}, not APPROVED by the committee"));
    }
    let Some(decision) = application.decision.as_ref() else {
        return Some("it has no committee decision".to_owned());
    };
    let same_member = uuid::Uuid::parse_str(&application.member_id)
        .is_ok_and(|id| id == order.member_id && id == member.member_id);
    let amount = decision.amount.as_ref().map(|m| m.fen).unwrap_or(0);
    let date = decision
        .meeting_date
        .as_ref()
        .and_then(|d| relief_runtime::time::from_proto(Some(d)));
    let checks = [
        (
            decision.decision_id == order.decision_id,
            format!("its decision is {}", decision.decision_id),
        ),
        (
            decision.outcome == workflow::DecisionOutcome::Approved as i32,
            "its decision is not an approval".to_owned(),
        ),
        (
            same_member,
            format!("it is member {}'s", application.member_id),
        ),
        (
            application.year == order.year,
            format!("it is for {}", application.year),
        ),
        (
            decision.relief_type == order.relief_type.to_i32(),
            "the committee granted another relief type".to_owned(),
        ),
        (
            decision.hardship_category == order.category.to_i32(),
            "the committee based it on another category".to_owned(),
        ),
        (
            amount == order.amount.fen(),
            format!("the committee granted {amount} fen"),
        ),
        (
            decision.special_case == order.special_case,
            format!("the committee's special case is {}", decision.special_case),
        ),
        (
            decision.meeting_number == order.meeting_number,
            format!("it was decided in meeting {}", decision.meeting_number),
        ),
        (
            order.meeting_date.is_none_or(|cited| Some(cited) == date),
            "its meeting was held on another day".to_owned(),
        ),
    ];
    checks.into_iter().find(|(ok, _)| !ok).map(|(_, why)| why)
}

/// `funds.accept_cited_decisions`, no workflow: the citation is recorded as
/// given.
pub struct CitedOnly;

impl DecisionCheck for CitedOnly {
    fn confirm<'a>(
        &'a self,
        _order: &'a AllocationOrder,
        _member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async { Ok(()) })
    }
}

/// No workflow configured: nothing is allocated on a caller's word.
pub struct Unconfirmable;

impl DecisionCheck for Unconfirmable {
    fn confirm<'a>(
        &'a self,
        _order: &'a AllocationOrder,
        _member: &'a RegisteredMember,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(async {
            Err(Error::Upstream(Box::new(Status::unavailable(
                "funds cannot confirm the committee decision: the workflow service is not configured (peers.workflow, auth.service_signing_key)",
            ))))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::category::{HardshipCategory, ReliefType};
    use crate::domain::money::Money;
    use relief_proto::common::v1 as common;
    use uuid::Uuid;

    fn order() -> AllocationOrder {
        AllocationOrder {
            application_id: Uuid::from_u128(1).to_string(),
            decision_id: Uuid::from_u128(2).to_string(),
            meeting_number: "2026年第3次".into(),
            meeting_date: Some(time::macros::date!(2026 - 11 - 02)),
            member_id: Uuid::from_u128(3),
            org_id: None,
            year: 2027,
            relief_type: ReliefType::SpringFestivalVisit,
            category: HardshipCategory::Other,
            amount: Money::from_fen(50_000),
            special_case: false,
            special_case_reason: String::new(),
        }
    }

    fn member() -> RegisteredMember {
        RegisteredMember {
            member_id: Uuid::from_u128(3),
            name: "党员".into(),
            branch: common::OrgRef::default(),
            work_unit: String::new(),
        }
    }

    fn approved() -> workflow::Application {
        workflow::Application {
            application_id: Uuid::from_u128(1).to_string(),
            member_id: Uuid::from_u128(3).to_string(),
            year: 2027,
            state: workflow::ApplicationState::Approved as i32,
            decision: Some(workflow::CommitteeDecision {
                decision_id: Uuid::from_u128(2).to_string(),
                outcome: workflow::DecisionOutcome::Approved as i32,
                meeting_number: "2026年第3次".into(),
                meeting_date: Some(common::Date {
                    year: 2026,
                    month: 11,
                    day: 2,
                }),
                relief_type: common::ReliefType::SpringFestivalVisit as i32,
                hardship_category: common::HardshipCategory::Other as i32,
                amount: Some(common::Money { fen: 50_000 }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_decision_as_recorded_backs_the_allocation() {
        assert_eq!(mismatch(&order(), &member(), &approved()), None);
    }

    #[test]
    fn anything_else_is_refused_naming_what_differs() {
        let mut app = approved();
        app.state = workflow::ApplicationState::CommitteeReview as i32;
        assert!(
            mismatch(&order(), &member(), &app).is_some_and(|why| why.contains("COMMITTEE_REVIEW"))
        );
        let mut more = order();
        more.amount = Money::from_fen(50_001);
        assert!(mismatch(&more, &member(), &approved()).is_some_and(|why| why.contains("50000")));
        let mut special = order();
        special.special_case = true;
        assert!(mismatch(&special, &member(), &approved()).is_some());
        let mut other = order();
        other.member_id = Uuid::from_u128(4);
        assert!(mismatch(&other, &member(), &approved()).is_some());
        let mut decision = order();
        decision.decision_id = Uuid::from_u128(9).to_string();
        assert!(mismatch(&decision, &member(), &approved()).is_some());
        let mut day = order();
        day.meeting_date = Some(time::macros::date!(2026 - 11 - 03));
        assert!(mismatch(&day, &member(), &approved()).is_some());
        let mut undecided = approved();
        undecided.decision = None;
        assert!(mismatch(&order(), &member(), &undecided).is_some());
    }
}
