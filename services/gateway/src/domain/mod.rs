//! Identity rules, free of I/O: passwords, lockout, refresh tokens, who may
//! grant which role where, and the requests parsed into commands and queries
//! (every bad field named at once) for [`users`], [`bindings`] and
//! [`sessions`].

pub mod bindings;
pub mod lockout;
pub mod password;
pub mod roles;
pub mod sessions;
pub mod tokens;
pub mod users;
