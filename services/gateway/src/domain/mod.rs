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

use relief_runtime::error::{FieldViolations, field_violations};
use relief_runtime::pagination::{DEFAULT_PAGE_SIZE, PageToken, page_size};

/// The page size and the key after which a List request's page starts, read
/// from its `page_size` and `page_token` by `key`; what is bad is recorded.
fn page<K>(
    size: i32,
    token: &str,
    violations: &mut FieldViolations,
    key: impl FnOnce(&str) -> Option<K>,
) -> (i64, Option<K>) {
    let limit = page_size(size, "page_size").unwrap_or_else(|status| {
        absorb(violations, &status);
        DEFAULT_PAGE_SIZE
    });
    let after = match PageToken::decode(token, "page_token") {
        Ok(None) => None,
        Ok(Some(token)) => {
            let after = key(token.after_text());
            if after.is_none() {
                violations.add("page_token", "not a page token from a previous response");
            }
            after
        }
        Err(status) => {
            absorb(violations, &status);
            None
        }
    };
    (limit, after)
}

/// The named fields of a runtime check that answers in statuses.
fn absorb(violations: &mut FieldViolations, status: &tonic::Status) {
    for (field, description) in field_violations(status) {
        violations.add(field, description);
    }
}
