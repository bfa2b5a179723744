//! Identity rules, free of I/O: passwords, lockout, refresh tokens, and who
//! may grant which role where.

pub mod lockout;
pub mod password;
pub mod roles;
pub mod tokens;
