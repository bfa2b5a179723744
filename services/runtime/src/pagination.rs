//! AIP-158 pagination: `page_size` with a default and a ceiling, and opaque
//! page tokens for keyset paging (pages stay stable while rows are added).
//!
//! A token holds where the next page starts — after the row with a given id
//! or sequence number, never a value of the row such as a name — and a short
//! fingerprint of the request's filters. Presented with other filters, or
//! to another method, it is refused naming `page_token`: a page of one
//! question is never continued as if it were another.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::FieldViolations;

pub use relief_proto::Paged;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// The layout of a token, so that a later one can be told apart.
const VERSION: u8 = 2;
const FINGERPRINT_LEN: usize = 8;

/// The effective page size: 0 means the default; larger than the ceiling is
/// coerced down (AIP-158); negative is refused.
pub fn page_size(requested: i32) -> Result<i64, &'static str> {
    match requested {
        n if n < 0 => Err("must not be negative"),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// What a listing request asks for apart from its page: the method and every
/// filter field. Its page tokens are bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filters([u8; FINGERPRINT_LEN]);

impl Filters {
    /// The filters of `request` to `method`: every field but the page's,
    /// including fields added later.
    pub fn of(method: &str, request: &impl Paged) -> Filters {
        let mut hasher = Sha256::new();
        hasher.update(method.as_bytes());
        hasher.update([0]);
        hasher.update(request.without_page().encode_to_vec());
        let digest = hasher.finalize();
        let mut fingerprint = [0; FINGERPRINT_LEN];
        fingerprint.copy_from_slice(&digest[..FINGERPRINT_LEN]);
        Filters(fingerprint)
    }
}

/// The key a listing pages by: a sequence number or an id, never a value of
/// the row.
pub trait Key: Copy {
    /// Tells the kinds apart in a token.
    const KIND: u8;
    fn to_bytes(self) -> Vec<u8>;
    fn from_bytes(bytes: &[u8]) -> Option<Self>;
}

impl Key for i64 {
    const KIND: u8 = 1;
    fn to_bytes(self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        <[u8; 8]>::try_from(bytes).ok().map(i64::from_be_bytes)
    }
}

impl Key for Uuid {
    const KIND: u8 = 2;
    fn to_bytes(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Uuid::from_slice(bytes).ok()
    }
}

/// The token of the page after the row keyed `after`, for `filters`.
pub fn token<K: Key>(filters: Filters, after: K) -> String {
    let key = after.to_bytes();
    let mut bytes = Vec::with_capacity(2 + FINGERPRINT_LEN + key.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&filters.0);
    bytes.push(K::KIND);
    bytes.extend_from_slice(&key);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key a `token` names, for a request with `filters`: `None` for the
/// first page (no token); what is wrong with a token this listing did not
/// issue, or issued for other filters.
pub fn after<K: Key>(token: &str, filters: Filters) -> Result<Option<K>, &'static str> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || "not a page token from a previous response";
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let Some((&VERSION, rest)) = bytes.split_first() else {
        return Err(bad());
    };
    if rest.len() < FINGERPRINT_LEN + 1 {
        return Err(bad());
    }
    let (fingerprint, rest) = rest.split_at(FINGERPRINT_LEN);
    if fingerprint != filters.0 {
        return Err(
            "was issued for a request with other filters: repeat those filters, or start again without a page_token",
        );
    }
    match rest.split_first() {
        Some((&kind, key)) if kind == K::KIND => K::from_bytes(key).map(Some).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// One page of a listing: how many rows, after which key, and the filters
/// the next page's token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page<K> {
    pub limit: i64,
    pub after: Option<K>,
    pub filters: Filters,
}

impl<K: Key> Page<K> {
    /// The page `request` to `method` asks for; each bad page field is
    /// recorded in `violations` (the page is then the first, of the default
    /// size).
    pub fn parse(method: &str, request: &impl Paged, violations: &mut FieldViolations) -> Self {
        let filters = Filters::of(method, request);
        let limit = page_size(request.page_size()).unwrap_or_else(|problem| {
            violations.add("page_size", problem);
            DEFAULT_PAGE_SIZE
        });
        let after = after(request.page_token(), filters).unwrap_or_else(|problem| {
            violations.add("page_token", problem);
            None
        });
        Page {
            limit,
            after,
            filters,
        }
    }

    /// The page `request` to `method` asks for, or `INVALID_ARGUMENT` naming
    /// every bad page field.
    pub fn of(method: &str, request: &impl Paged) -> crate::error::Result<Self> {
        let mut violations = FieldViolations::new();
        let page = Self::parse(method, request, &mut violations);
        Ok(violations.then(|| page)?)
    }

    /// How many rows to fetch: one more than the page, to learn whether
    /// another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }

    /// Cuts the extra row fetched and returns the next page's token: empty
    /// on the last page.
    pub fn next<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> K) -> String {
        let limit = usize::try_from(self.limit).unwrap_or(0);
        if rows.len() > limit {
            rows.truncate(limit);
            rows.last()
                .map(|row| token(self.filters, key(row)))
                .unwrap_or_default()
        } else {
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use relief_proto::common::v1::ListAuditEntriesRequest;

    fn request(resource: &str, token: &str) -> ListAuditEntriesRequest {
        ListAuditEntriesRequest {
            resource: resource.to_owned(),
            page_size: 2,
            page_token: token.to_owned(),
        }
    }

    fn filters(resource: &str) -> Filters {
        Filters::of("ListAuditEntries", &request(resource, ""))
    }

    fn violated(refused: &crate::error::Error) -> Vec<String> {
        match refused {
            crate::error::Error::Invalid(violations) => violations
                .iter()
                .map(|(field, _)| field.to_owned())
                .collect(),
            other => panic!("not a field violation: {other}"),
        }
    }

    #[test]
    fn a_token_names_its_key_for_the_same_filters_whatever_the_page_size() {
        let id = Uuid::new_v4();
        let token_of_id = token(filters("members/1"), id);
        assert_eq!(
            after::<Uuid>(&token_of_id, filters("members/1")).ok(),
            Some(Some(id))
        );
        for seq in [0, 7, i64::MAX] {
            let mut later = request("members/1", &token(filters("members/1"), seq));
            later.page_size = 500;
            let page = Page::<i64>::of("ListAuditEntries", &later).expect("page");
            assert_eq!((page.after, page.limit), (Some(seq), 500));
        }
        let first = Page::<i64>::of("ListAuditEntries", &request("", "")).expect("page");
        assert_eq!(first.after, None, "no token: the first page");
        assert!(
            after::<i64>(&token_of_id, filters("members/1")).is_err(),
            "a key of another kind"
        );
    }

    #[test]
    fn a_token_for_other_filters_or_another_method_is_refused_by_field() {
        let issued = token(filters("members/1"), 7_i64);
        let refused = Page::<i64>::of("ListAuditEntries", &request("members/2", &issued))
            .expect_err("other filters");
        assert_eq!(violated(&refused), ["page_token"]);
        let refused = Page::<i64>::of("ListSensitiveReads", &request("members/1", &issued))
            .expect_err("another method");
        assert_eq!(violated(&refused), ["page_token"]);
    }

    #[test]
    fn foreign_or_damaged_tokens_are_refused_by_field_with_the_page_size() {
        let issued = token(filters(""), 7_i64);
        for bad in [
            "x".to_owned(),
            "!!".to_owned(),
            URL_SAFE_NO_PAD.encode("v1:张三\u{1f}6f1c"),
            issued[..issued.len() - 2].to_owned(),
            format!("{issued}AA"),
        ] {
            let mut asked = request("", &bad);
            asked.page_size = -1;
            let refused = Page::<i64>::of("ListAuditEntries", &asked).expect_err(&bad);
            assert_eq!(violated(&refused), ["page_size", "page_token"], "{bad}");
        }
    }

    #[test]
    fn next_cuts_the_extra_row_and_points_after_the_last() {
        let page = Page::<i64>::of("ListAuditEntries", &request("", "")).expect("page");
        assert_eq!(page.fetch(), 3);
        let mut rows = vec![1_i64, 2, 3];
        let next = page.next(&mut rows, |row| *row);
        assert_eq!(rows, [1, 2]);
        let second = Page::<i64>::of("ListAuditEntries", &request("", &next)).expect("page");
        assert_eq!(second.after, Some(2));
        let mut last = vec![1_i64, 2];
        assert_eq!(page.next(&mut last, |row| *row), "");
        assert_eq!(last, [1, 2]);
    }
}
