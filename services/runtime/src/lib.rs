//! What every Relief Ledger service process shares: configuration, telemetry,
//! database, errors, authentication and authorisation, serving, peer clients,
//! pagination, idempotency and the audit chain. A service crate brings only
//! its domain.

pub mod app;
pub mod audit;
pub mod auth;
pub mod client;
pub mod config;
pub mod db;
pub mod error;
pub mod files;
pub mod forms;
pub mod idempotency;
pub mod ids;
pub mod masking;
pub mod outbox;
pub mod pagination;
pub mod rpc;
pub mod scope;
pub mod sealing;
pub mod serve;
pub mod telemetry;
pub mod text;
pub mod time;
