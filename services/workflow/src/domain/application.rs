//! The application as the applicant fills it in: what a create or an update
//! carries, parsed with every bad field named.

use relief_proto::common::v1::{HardshipCategory, ReliefType};
use relief_proto::workflow::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use uuid::Uuid;

use super::household::Household;

/// What the applicant says of the hardship (every field the update mask may name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub hardship_category: HardshipCategory,
    pub other_categories: Vec<HardshipCategory>,
    pub affected_person: pb::AffectedPerson,
    pub affected_relation: String,
    pub requested_relief_type: ReliefType,
    pub description: String,
    pub household: Household,
}

/// CreateApplication: the member, the branch applied to, the year, the claim.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub member_id: Uuid,
    pub branch_id: i64,
    pub year: i32,
    pub claim: Claim,
}

/// UpdateApplication: the paths named and their new values.
#[derive(Debug, Clone)]
pub struct ApplicationChange {
    pub application_id: Uuid,
    pub version: i64,
    pub paths: Vec<String>,
    pub claim: Claim,
}

/// The paths UpdateApplication may name.
pub const UPDATABLE: [&str; 7] = [
    "hardship_category",
    "other_categories_met",
    "affected_person",
    "affected_relation",
    "requested_relief_type",
    "description",
    "household",
];

/// Categories of (2) in the measures: the member or a direct relative suffered it.
pub fn needs_affected_person(category: HardshipCategory) -> bool {
    matches!(
        category,
        HardshipCategory::MajorDisaster
            | HardshipCategory::MajorAccident
            | HardshipCategory::MajorIllness
    )
}

fn category(value: i32, field: &str, violations: &mut FieldViolations) -> HardshipCategory {
    match HardshipCategory::try_from(value) {
        Ok(HardshipCategory::Unspecified) | Err(_) => {
            violations.add(field, "required: one of the hardship categories");
            HardshipCategory::Unspecified
        }
        Ok(category) => category,
    }
}

/// Parses the claim of `app` (fields under `application.`); `only` limits
/// the check to the paths an update names.
fn claim(
    app: &pb::Application,
    only: Option<&[String]>,
    violations: &mut FieldViolations,
) -> Claim {
    let named = |path: &str| only.is_none_or(|paths| paths.iter().any(|p| p == path));
    let hardship_category = if named("hardship_category") {
        category(
            app.hardship_category,
            "application.hardship_category",
            violations,
        )
    } else {
        HardshipCategory::try_from(app.hardship_category).unwrap_or_default()
    };
    let mut other_categories = Vec::new();
    if named("other_categories_met") {
        for (i, value) in app.other_categories_met.iter().enumerate() {
            let field = format!("application.other_categories_met[{i}]");
            let other = category(*value, &field, violations);
            violations.check(
                other == hardship_category && other != HardshipCategory::Unspecified,
                &field,
                "the main category is not repeated here",
            );
            if !other_categories.contains(&other) {
                other_categories.push(other);
            }
        }
    }
    let affected_person = pb::AffectedPerson::try_from(app.affected_person)
        .unwrap_or(pb::AffectedPerson::Unspecified);
    if named("affected_person") {
        violations.check(
            pb::AffectedPerson::try_from(app.affected_person).is_err(),
            "application.affected_person",
            "unknown value",
        );
        violations.check(
            named("hardship_category")
                && needs_affected_person(hardship_category)
                && affected_person == pb::AffectedPerson::Unspecified,
            "application.affected_person",
            "required for a disaster, accident or illness: the member or a direct relative",
        );
    }
    if named("affected_relation") {
        violations.check_line("application.affected_relation", &app.affected_relation, 20);
        violations.check(
            affected_person == pb::AffectedPerson::DirectRelative
                && app.affected_relation.trim().is_empty(),
            "application.affected_relation",
            "required when a direct relative is affected, e.g. 母亲",
        );
    }
    let requested_relief_type = match ReliefType::try_from(app.requested_relief_type) {
        Ok(ReliefType::Unspecified) | Err(_) if named("requested_relief_type") => {
            violations.add(
                "application.requested_relief_type",
                "required: ONE_TIME_RELIEF or SPRING_FESTIVAL_VISIT",
            );
            ReliefType::Unspecified
        }
        Ok(kind) => kind,
        Err(_) => ReliefType::Unspecified,
    };
    if named("description") {
        violations.check_text("application.description", &app.description, 2000);
        violations.check(
            app.description.trim().is_empty(),
            "application.description",
            "required: the hardship in the applicant's words",
        );
    }
    let household = if named("household") {
        match &app.household {
            Some(facts) => Household::parse(facts, "application.household", violations),
            None => {
                violations.add("application.household", "required: the household facts");
                Household::default()
            }
        }
    } else {
        Household::default()
    };
    Claim {
        hardship_category,
        other_categories,
        affected_person,
        affected_relation: app.affected_relation.trim().to_owned(),
        requested_relief_type,
        description: app.description.trim().to_owned(),
        household,
    }
}

impl TryFrom<pb::CreateApplicationRequest> for NewApplication {
    type Error = FieldViolations;

    fn try_from(request: pb::CreateApplicationRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let app = request.application.unwrap_or_default();
        let member_id = ids::uuid(&app.member_id, "application.member_id", &mut violations);
        let branch_id = app.branch.as_ref().map_or(0, |b| b.org_id);
        violations.check(
            branch_id <= 0,
            "application.branch.org_id",
            "required: the member's branch",
        );
        violations.check(
            !(2000..=2100).contains(&app.year),
            "application.year",
            "required: the relief year, e.g. 2027",
        );
        let claim = claim(&app, None, &mut violations);
        violations.then(|| NewApplication {
            member_id: member_id.unwrap_or_default(),
            branch_id,
            year: app.year,
            claim,
        })
    }
}

impl TryFrom<pb::UpdateApplicationRequest> for ApplicationChange {
    type Error = FieldViolations;

    fn try_from(request: pb::UpdateApplicationRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let app = request.application.unwrap_or_default();
        let application_id = ids::uuid(
            &app.application_id,
            "application.application_id",
            &mut violations,
        );
        let version = ids::etag(&app.etag, "application.etag", &mut violations);
        let paths = request.update_mask.map(|m| m.paths).unwrap_or_default();
        violations.check(
            paths.is_empty(),
            "update_mask",
            "required: the fields to change",
        );
        for path in &paths {
            violations.check(
                !UPDATABLE.contains(&path.as_str()),
                "update_mask",
                &format!(
                    "{path} cannot be changed; allowed: {}",
                    UPDATABLE.join(", ")
                ),
            );
        }
        let claim = claim(&app, Some(&paths), &mut violations);
        violations.then(|| ApplicationChange {
            application_id: application_id.unwrap_or_default(),
            version: version.unwrap_or_default(),
            paths,
            claim,
        })
    }
}

impl Claim {
    /// The claim with the paths of `change` taken from it.
    pub fn apply(&mut self, change: &ApplicationChange) {
        for path in &change.paths {
            match path.as_str() {
                "hardship_category" => self.hardship_category = change.claim.hardship_category,
                "other_categories_met" => {
                    self.other_categories = change.claim.other_categories.clone()
                }
                "affected_person" => self.affected_person = change.claim.affected_person,
                "affected_relation" => {
                    self.affected_relation = change.claim.affected_relation.clone()
                }
                "requested_relief_type" => {
                    self.requested_relief_type = change.claim.requested_relief_type
                }
                "description" => self.description = change.claim.description.clone(),
                "household" => self.household = change.claim.household.clone(),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::common::v1::OrgRef;

    fn request() -> pb::CreateApplicationRequest {
        pb::CreateApplicationRequest {
            request_id: "r1".into(),
            application: Some(pb::Application {
                member_id: Uuid::new_v4().to_string(),
                branch: Some(OrgRef {
                    org_id: 3,
                    ..Default::default()
                }),
                year: 2027,
                hardship_category: HardshipCategory::MajorIllness as i32,
                affected_person: pb::AffectedPerson::Member as i32,
                requested_relief_type: ReliefType::OneTimeRelief as i32,
                description: "本人患病住院".into(),
                household: Some(pb::HouseholdFacts {
                    household_size: 2,
                    ..Default::default()
                }),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_complete_application_parses() {
        let parsed = NewApplication::try_from(request()).expect("valid");
        assert_eq!(
            parsed.claim.hardship_category,
            HardshipCategory::MajorIllness
        );
        assert_eq!(parsed.year, 2027);
    }

    #[test]
    fn an_illness_without_the_affected_person_and_a_bare_application_name_every_field() {
        let mut bad = request();
        let app = bad.application.as_mut().expect("set");
        app.affected_person = 0;
        app.description = " ".into();
        app.year = 0;
        let fields: Vec<String> = NewApplication::try_from(bad)
            .expect_err("invalid")
            .into_pairs()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "application.year",
                "application.affected_person",
                "application.description"
            ]
        );
    }

    #[test]
    fn an_update_names_only_known_paths() {
        let request = pb::UpdateApplicationRequest {
            request_id: "r".into(),
            application: Some(pb::Application {
                application_id: Uuid::new_v4().to_string(),
                etag: "2".into(),
                description: "新的说明".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["description".into(), "member_id".into()],
            }),
        };
        let violations =
            ApplicationChange::try_from(request).expect_err("member_id is not updatable");
        assert_eq!(violations.into_pairs()[0].0, "update_mask");
    }
}
