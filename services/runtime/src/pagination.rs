//! AIP-158 pagination: `page_size` with a default and a ceiling, and opaque
//! page tokens that carry the last key of the previous page (keyset paging,
//! so pages stay stable while rows are added).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tonic::Status;

use crate::error::invalid_field;

pub const DEFAULT_PAGE_SIZE: i64 = 50;
pub const MAX_PAGE_SIZE: i64 = 500;

/// The effective page size: 0 means the default; larger than the ceiling is
/// coerced down (AIP-158); negative is refused.
pub fn page_size(requested: i32, field: &str) -> Result<i64, Status> {
    match requested {
        n if n < 0 => Err(invalid_field(field, "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

/// The key after which the next page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken(String);

impl PageToken {
    pub fn int(key: i64) -> Self {
        PageToken(key.to_string())
    }

    pub fn text(key: &str) -> Self {
        PageToken(key.to_owned())
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1:{}", self.0))
    }

    /// `None` for the first page; `INVALID_ARGUMENT` naming `field` for a
    /// token this service did not issue.
    pub fn decode(token: &str, field: &str) -> Result<Option<PageToken>, Status> {
        if token.is_empty() {
            return Ok(None);
        }
        let bad = || invalid_field(field, "not a page token from a previous response");
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let key = text.strip_prefix("v1:").ok_or_else(bad)?;
        Ok(Some(PageToken(key.to_owned())))
    }

    pub fn after_int(&self) -> i64 {
        self.0.parse().unwrap_or(0)
    }

    pub fn after_text(&self) -> &str {
        &self.0
    }
}
