//! Who is calling and what they may do. Tokens are Ed25519-signed JWTs: the
//! gateway signs users' tokens, each service signs only its own principal's.
//! Access is granted per role on an organisation node's whole subtree (SPEC §2).
//!
//! [`roles`]: the roles and what each grants; [`caller`]: the caller a token
//! stands for and the checks against a resource's path; [`tokens`]: signing
//! and verifying tokens, and a service's own principal; [`gates`]: the
//! first check of every call, before its request is read.

mod caller;
mod gates;
mod roles;
mod tokens;

pub use caller::{Authentication, Caller, Claims, SERVICE_SUBJECT_PREFIX, caller, in_subtree};
pub use gates::{Gate, Gates, gates_for};
pub use roles::{Permission, Role, RoleBinding};
pub use tokens::{ServicePrincipal, TokenSigner, TokenVerifier};
