//! 证明材料 — which proof each hardship category needs before the case
//! leaves the branch (measures §四.1): 低保 → the 低保 certificate; a major
//! illness → a diagnosis from a hospital at county level or above **and**
//! the payment receipts; a disaster or an accident → a police or fire
//! certificate. Other hardship needs no particular proof.

use relief_proto::common::v1::HardshipCategory;
use relief_proto::workflow::v1::EvidenceKind;

/// Refused because required proof is missing.
pub const EVIDENCE_MISSING: &str = "EVIDENCE_MISSING";

/// The kinds of proof `category` requires.
pub fn required(category: HardshipCategory) -> &'static [EvidenceKind] {
    match category {
        HardshipCategory::MinimumLivingGuarantee => &[EvidenceKind::LowIncomeCertificate],
        HardshipCategory::MajorIllness => &[
            EvidenceKind::HospitalDiagnosis,
            EvidenceKind::PaymentReceipts,
        ],
        HardshipCategory::MajorDisaster | HardshipCategory::MajorAccident => {
            &[EvidenceKind::PoliceFireCertificate]
        }
        HardshipCategory::Other | HardshipCategory::Unspecified => &[],
    }
}

/// The required kinds no accepted file covers yet. `accepted` holds the kinds
/// of the files that count (a diagnosis counts only from a hospital at county
/// level or above; the store decides that when it lists them).
pub fn missing(category: HardshipCategory, accepted: &[EvidenceKind]) -> Vec<EvidenceKind> {
    required(category)
        .iter()
        .copied()
        .filter(|kind| !accepted.contains(kind))
        .collect()
}

/// The Chinese names of kinds, for messages clerks read.
pub fn name(kind: EvidenceKind) -> &'static str {
    match kind {
        EvidenceKind::LowIncomeCertificate => "低保证明",
        EvidenceKind::HospitalDiagnosis => "县级及以上医院疾病证明",
        EvidenceKind::PaymentReceipts => "缴费凭证",
        EvidenceKind::PoliceFireCertificate => "公安或消防部门证明",
        EvidenceKind::Other => "其他材料",
        EvidenceKind::Unspecified => "未指定",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_illness_needs_both_the_diagnosis_and_the_receipts() {
        assert_eq!(
            missing(
                HardshipCategory::MajorIllness,
                &[EvidenceKind::HospitalDiagnosis]
            ),
            [EvidenceKind::PaymentReceipts]
        );
        assert!(
            missing(
                HardshipCategory::MajorIllness,
                &[
                    EvidenceKind::PaymentReceipts,
                    EvidenceKind::HospitalDiagnosis
                ]
            )
            .is_empty()
        );
    }

    #[test]
    fn each_category_names_its_proof() {
        assert_eq!(
            missing(HardshipCategory::MinimumLivingGuarantee, &[]),
            [EvidenceKind::LowIncomeCertificate]
        );
        assert_eq!(
            missing(HardshipCategory::MajorAccident, &[EvidenceKind::Other]),
            [EvidenceKind::PoliceFireCertificate]
        );
        assert!(missing(HardshipCategory::Other, &[]).is_empty());
    }
}
