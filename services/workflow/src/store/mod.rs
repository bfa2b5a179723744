//! Every SQL statement of the workflow service, against its own schema only.
//! A change to an application locks its row first (`FOR UPDATE`) and checks
//! the etag there, so its state moves one step at a time whatever the
//! concurrency.

mod applications;
mod calendar;
mod campaign_rows;
mod campaigns;
mod committee;
mod evidence;
mod notices;
mod reminders;
mod settings;
mod steps;
mod views;

pub use applications::{ApplicationListing, ApplicationRow, Level};
pub use calendar::{HolidayEntry, HolidayRow};
pub use campaign_rows::CampaignRowRow;
pub use campaigns::{
    CampaignNoticeRow, CampaignRow, MeetingRow, RowCounts, Stamp, StoredNewMember, StoredReturn,
    StoredSubmission, UnitRow,
};
pub use committee::{EarlierDecision, NewDecision};
pub use evidence::{EvidenceListing, EvidenceRow};
pub use notices::{NewNotice, NoticeListing, NoticeRow, ObjectionRow};
pub use reminders::DueReminder;
pub use settings::StoredSettings;
pub use steps::StepRow;
pub use views::{COUNTY_LEVEL_OR_ABOVE, DecisionRow, ProposalRow, Surroundings};

use relief_runtime::error::ConstraintRefusal;
use sqlx::PgPool;
use tonic::Code;

/// Constraints whose breach means a rule refused the request.
pub static REFUSALS: [ConstraintRefusal; 1] = [ConstraintRefusal {
    constraint: "decisions_application_id_key",
    code: Code::AlreadyExists,
    reason: "DECISION_ALREADY_RECORDED",
    message: "the committee has already decided this application",
}];

#[derive(Clone)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn new(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
