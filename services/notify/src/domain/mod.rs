//! The notification service's rules, without I/O: requests parsed into
//! commands ([`commands`]), who is told on which channel ([`routing`]), the
//! templates ([`template`]) and what follows a delivery attempt
//! ([`delivery`]).

pub mod commands;
pub mod delivery;
pub mod routing;
pub mod template;
