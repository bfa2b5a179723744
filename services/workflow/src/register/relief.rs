//! 帮扶情况 — the relief a member received, written on their register row
//! through the ledger's RecordReliefReceived when the signed receipt is in
//! (measures §四.5), as the workflow's own principal — the only one the
//! ledger lets write it.
//!
//! Idempotent: the request id is derived from the application and the
//! disbursement, so a retry (funds redelivering the event after a failure
//! here) replays the ledger's answer; an entry for the same disbursement
//! recorded another way (RELIEF_ALREADY_RECORDED) counts as done too.

use relief_proto::common::v1::{Money, ReliefType};
use relief_proto::ledger::v1 as ledger;
use relief_runtime::error::{Error, Result};
use time::Date;
use tonic::Code;
use uuid::Uuid;

use super::{Register, unanswered};

/// What the register row gets.
#[derive(Debug, Clone)]
pub struct ReliefReceived {
    pub application_id: Uuid,
    pub record_id: String,
    pub year: i32,
    pub relief_type: ReliefType,
    pub amount_fen: i64,
    pub voucher_number: String,
    pub disbursement_id: String,
    pub received_on: Date,
}

impl ReliefReceived {
    /// The request id of this entry: one per application and disbursement.
    pub fn request_id(&self) -> String {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!(
            "relief-workflow:relief-received:{}:{}",
            self.application_id, self.disbursement_id
        ));
        let mut bytes = [0_u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        uuid::Builder::from_custom_bytes(bytes)
            .into_uuid()
            .to_string()
    }
}

impl Register {
    /// Writes `relief` on its register row; `Ok` also when the ledger has
    /// it already.
    pub async fn record_relief(&self, relief: &ReliefReceived) -> Result<()> {
        if relief.record_id.is_empty() {
            // The notice's passing writes the row; a case at the receipt
            // without one is a fault of ours, not the caller's.
            return Err(Error::internal(
                "recording relief received",
                format!(
                    "application {} has no register record",
                    relief.application_id
                ),
            ));
        }
        let answer = self
            .ledger()?
            .record_relief_received(ledger::RecordReliefReceivedRequest {
                request_id: relief.request_id(),
                record_id: relief.record_id.clone(),
                year: relief.year,
                relief_type: relief.relief_type as i32,
                amount: Some(Money {
                    fen: relief.amount_fen,
                }),
                voucher_number: relief.voucher_number.clone(),
                disbursement_id: relief.disbursement_id.clone(),
                received_on: Some(relief_runtime::time::to_proto(relief.received_on)),
            })
            .await;
        match answer {
            Ok(_) => Ok(()),
            Err(status) if status.code() == Code::AlreadyExists => {
                tracing::info!(
                    application_id = %relief.application_id,
                    disbursement_id = relief.disbursement_id,
                    "relief received is on the register already"
                );
                Ok(())
            }
            Err(status) => Err(unanswered("register record (relief received)", status)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_id_per_application_and_disbursement() {
        let relief = ReliefReceived {
            application_id: Uuid::from_u128(1),
            record_id: "r".into(),
            year: 2027,
            relief_type: ReliefType::SpringFestivalVisit,
            amount_fen: 50_000,
            voucher_number: "V1".into(),
            disbursement_id: "d1".into(),
            received_on: time::macros::date!(2027 - 01 - 10),
        };
        let again = relief.clone();
        assert_eq!(relief.request_id(), again.request_id());
        let other = ReliefReceived {
            disbursement_id: "d2".into(),
            ..relief.clone()
        };
        assert_ne!(relief.request_id(), other.request_id());
    }
}
