//! RecordReliefReceived: relief a member received, recorded on their row.

use relief_proto::ledger::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use relief_runtime::time::{from_proto, today};
use time::Date;
use uuid::Uuid;

use crate::domain::relief::{MAX_DISBURSEMENT_ID, MAX_RELIEF_FEN, MAX_VOUCHER_NUMBER, ReliefType};

/// One paid relief on a register row.
#[derive(Debug, Clone)]
pub struct ReliefEntry {
    pub record_id: Uuid,
    pub year: i32,
    pub relief_type: ReliefType,
    pub amount_fen: i64,
    pub voucher_number: String,
    pub disbursement_id: String,
    pub received_on: Date,
}

impl TryFrom<pb::RecordReliefReceivedRequest> for ReliefEntry {
    type Error = FieldViolations;

    fn try_from(request: pb::RecordReliefReceivedRequest) -> Result<Self, FieldViolations> {
        let mut violations = FieldViolations::new();
        let record_id = ids::uuid(&request.record_id, "record_id", &mut violations);
        if !(1990..=2200).contains(&request.year) {
            violations.add("year", "required: a four-digit year");
        }
        let relief_type = ReliefType::from_proto(request.relief_type);
        if relief_type.is_none() {
            violations.add(
                "relief_type",
                "required: one-time relief or the Spring Festival visit",
            );
        }
        let amount_fen = request.amount.as_ref().map_or(0, |money| money.fen);
        if amount_fen <= 0 {
            violations.add("amount.fen", "required: a positive amount in fen");
        } else if amount_fen > MAX_RELIEF_FEN {
            violations.add(
                "amount.fen",
                "implausibly large (more than 1,000,000 yuan); amounts are in fen",
            );
        }
        violations.check_line(
            "voucher_number",
            &request.voucher_number,
            MAX_VOUCHER_NUMBER,
        );
        violations.check_required_line(
            "disbursement_id",
            &request.disbursement_id,
            MAX_DISBURSEMENT_ID,
            "required: the disbursement this relief was paid by",
        );
        let received_on = from_proto(request.received_on.as_ref());
        match received_on {
            None => violations.add("received_on", "required: a real date"),
            Some(day) if day > today() => violations.add("received_on", "is in the future"),
            Some(_) => {}
        }
        match (record_id, relief_type, received_on) {
            (Some(record_id), Some(relief_type), Some(received_on)) => {
                violations.then(|| ReliefEntry {
                    record_id,
                    year: request.year,
                    relief_type,
                    amount_fen,
                    voucher_number: request.voucher_number.trim().to_owned(),
                    disbursement_id: request.disbursement_id.trim().to_owned(),
                    received_on,
                })
            }
            _ => Err(violations),
        }
    }
}
