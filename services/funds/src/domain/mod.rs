//! The funds' rules, free of I/O: money in fen, the double-entry accounts,
//! what an allocation may be and become, what may be reversed, what a receipt
//! needs, and what the special inspection finds.

pub mod account;
pub mod allocation;
pub mod inspection;
pub mod money;
pub mod receipt;
pub mod reversal;
pub mod year;
