//! 救助申请流程 — the application workflow (SPEC §4; measures §二–§五): a
//! relief case from the member's application through the branch review, the
//! 7-day public notice, the superior review and the committee's decision to
//! the funds and the signed receipt.

pub mod calendar;
pub mod export;
