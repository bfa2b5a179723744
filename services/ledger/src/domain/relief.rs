//! 帮扶情况 — relief a member received, as the register keeps it: which
//! relief (measures §3), how much, and the voucher its signed receipt became.

use relief_proto::common::v1 as common;

/// 救助慰问方式 (measures §3); stored as its snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum ReliefType {
    /// 一次性困难救助
    OneTimeRelief,
    /// 春节走访慰问
    SpringFestivalVisit,
}

impl ReliefType {
    /// `None` for an unknown or unspecified type.
    pub fn from_proto(kind: i32) -> Option<Self> {
        match common::ReliefType::try_from(kind).ok()? {
            common::ReliefType::OneTimeRelief => Some(ReliefType::OneTimeRelief),
            common::ReliefType::SpringFestivalVisit => Some(ReliefType::SpringFestivalVisit),
            common::ReliefType::Unspecified => None,
        }
    }

    pub fn to_proto(self) -> common::ReliefType {
        match self {
            ReliefType::OneTimeRelief => common::ReliefType::OneTimeRelief,
            ReliefType::SpringFestivalVisit => common::ReliefType::SpringFestivalVisit,
        }
    }

    /// The type as the forms write it.
    pub fn chinese(self) -> &'static str {
        match self {
            ReliefType::OneTimeRelief => "一次性困难救助",
            ReliefType::SpringFestivalVisit => "春节走访慰问",
        }
    }
}

/// Longest voucher number, in characters.
pub const MAX_VOUCHER_NUMBER: usize = 50;
/// Longest disbursement id, in characters.
pub const MAX_DISBURSEMENT_ID: usize = 100;
/// Upper bound of one relief payment: a guard against yuan typed as fen
/// (one million yuan), not a policy.
pub const MAX_RELIEF_FEN: i64 = 100_000_000;
