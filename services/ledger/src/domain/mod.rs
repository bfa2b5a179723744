//! The register's rules, free of I/O: what a valid resident ID number is,
//! what a member or record may hold, how incomes are derived, what is masked.

pub mod id_number;
pub mod masking;
pub mod member;
pub mod org;
pub mod record;
