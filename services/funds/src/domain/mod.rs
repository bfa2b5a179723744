//! The funds' rules, free of I/O: what each request asks ([`commands`]),
//! money in fen, the double-entry accounts, what an allocation may be and
//! become, what may be reversed, what a receipt needs, what the special
//! inspection finds, who may not do what another act of theirs checks
//! ([`duties`]), and why a rule refuses ([`refusal`]).

pub mod account;
pub mod allocation;
pub mod category;
pub mod commands;
pub mod duties;
pub mod inspection;
pub mod money;
pub mod receipt;
pub mod refusal;
pub mod reversal;
pub mod year;

/// A stored name or number that is none of an enum's values: the row was
/// not written by this service.
#[derive(Debug, thiserror::Error)]
#[error("{what} {value:?} is not known")]
pub struct Unknown {
    pub what: &'static str,
    pub value: String,
}
