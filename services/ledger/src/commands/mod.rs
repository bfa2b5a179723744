//! What each request asks for, parsed: every request becomes a command (a
//! write) or a query (a read) through `TryFrom`, which names every bad field
//! at once. Rules come from [`crate::domain`]; nothing here does I/O.

pub mod members;
pub mod orgs;
pub mod records;
pub mod reports;

use relief_runtime::error::FieldViolations;
use relief_runtime::pagination::{PageToken, page_size};

/// One page of a listing: how many rows, after which key of the page before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<K> {
    pub limit: i64,
    pub after: Option<K>,
}

impl<K> Page<K> {
    /// Reads `page_size` and `page_token`; `key` recovers the key a token
    /// carries (`None`: not a token of ours).
    pub fn parse(
        size: i32,
        token: &str,
        violations: &mut FieldViolations,
        key: impl FnOnce(&PageToken) -> Option<K>,
    ) -> Self {
        let limit = page_size(size, "page_size")
            .map_err(|status| violations.add("page_size", status.message()))
            .unwrap_or(0);
        let after = match PageToken::decode(token, "page_token") {
            Ok(None) => None,
            Ok(Some(token)) => {
                let key = key(&token);
                if key.is_none() {
                    violations.add("page_token", "not a page token from a previous response");
                }
                key
            }
            Err(status) => {
                violations.add("page_token", status.message());
                None
            }
        };
        Page { limit, after }
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts `rows` (fetched with [`Page::fetch`]) to the page, and answers
    /// the next page's token, empty on the last page.
    pub fn cut<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> PageToken) -> String {
        if rows.len() as i64 <= self.limit {
            return String::new();
        }
        rows.truncate(self.limit as usize);
        rows.last().map(|row| key(row).encode()).unwrap_or_default()
    }
}

/// A page keyed by an integer id.
pub fn int_page(size: i32, token: &str, violations: &mut FieldViolations) -> Page<i64> {
    Page::parse(size, token, violations, |token| Some(token.after_int()))
}

/// The paths of an update mask.
pub fn mask_paths(mask: Option<&prost_types::FieldMask>) -> Vec<String> {
    mask.map(|mask| mask.paths.clone()).unwrap_or_default()
}

/// A reveal of sealed data: `Some(reason)` when asked for, with the reason
/// required (it is recorded with the read).
pub fn reveal_reason(
    reveal: bool,
    reason: &str,
    violations: &mut FieldViolations,
) -> Option<String> {
    if !reveal {
        return None;
    }
    if reason.trim().is_empty() {
        violations.add(
            "reveal_reason",
            "required when reveal_sensitive is set: why the data is needed",
        );
    }
    Some(reason.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_after_its_limit_and_names_the_next() {
        let mut violations = FieldViolations::new();
        let page = int_page(2, "", &mut violations);
        assert!(violations.is_empty());
        let mut rows = vec![1_i64, 2, 3];
        let next = page.cut(&mut rows, |row| PageToken::int(*row));
        assert_eq!(rows, [1, 2]);
        let mut violations = FieldViolations::new();
        assert_eq!(int_page(2, &next, &mut violations).after, Some(2));
        let mut last = vec![3_i64];
        assert!(page.cut(&mut last, |row| PageToken::int(*row)).is_empty());
    }

    #[test]
    fn bad_paging_is_named() {
        let mut violations = FieldViolations::new();
        int_page(-1, "not base64!", &mut violations);
        let fields: Vec<_> = violations.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["page_size", "page_token"]);
    }
}
