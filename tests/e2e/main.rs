//! End-to-end tests: every service as a real gRPC server on port 0, backed by
//! the real PostgreSQL that `cargo xtask test` started, driven like a client.

mod deploy;
mod funds;
mod gateway;
mod ledger;
mod matrix;
mod notify;
mod register;
mod workflow;
mod xlsx;
