//! The register's rules, free of I/O: what a valid resident ID number is,
//! what a member, record or verification may hold, how incomes are derived,
//! what is masked. Categories, statuses and kinds are enums here, stored as
//! their names and converted to and from the API's enums in one place each.

pub mod id_number;
pub mod member;
pub mod org;
pub mod record;
pub mod relief;
pub mod verification;
