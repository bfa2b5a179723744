//! Reading accounts and postings, and 冲销 — reversing a posting.

use relief_proto::funds::v1 as pb;
use relief_runtime::error::FieldViolations;
use relief_runtime::ids;
use uuid::Uuid;

use super::{Page, check_optional_text, check_text, member_filter, org_filter};
use crate::domain::account::{AccountKind, PostingKind};

/// One account.
#[derive(Debug, Clone)]
pub struct GetAccount {
    pub account_id: Uuid,
}

impl TryFrom<pb::GetAccountRequest> for GetAccount {
    type Error = FieldViolations;

    fn try_from(request: pb::GetAccountRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let account_id = ids::uuid(&request.account_id, "account_id", &mut v);
        v.then(|| GetAccount {
            account_id: account_id.unwrap_or_default(),
        })
    }
}

/// Accounts, oldest first, in the subtrees the caller may read.
#[derive(Debug, Clone)]
pub struct AccountListing {
    pub kind: Option<AccountKind>,
    pub year: i32,
    pub member_id: String,
    pub org_id: Option<i64>,
    pub page: Page,
}

impl TryFrom<pb::ListAccountsRequest> for AccountListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListAccountsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let kind = match pb::AccountKind::try_from(request.kind) {
            Ok(kind) => AccountKind::from_proto(kind),
            Err(_) => {
                v.add("kind", "not an account kind");
                None
            }
        };
        let org_id = org_filter(request.org_id, &mut v);
        let member_id = member_filter(&request.member_id, &mut v);
        let page = Page::parse("ListAccounts", &request, &mut v);
        v.then(|| AccountListing {
            kind,
            year: request.year,
            member_id,
            org_id,
            page,
        })
    }
}

/// Postings, oldest first, in the subtrees the caller may read.
#[derive(Debug, Clone)]
pub struct PostingListing {
    pub account_id: Option<Uuid>,
    pub allocation_id: Option<Uuid>,
    pub kind: Option<PostingKind>,
    pub year: i32,
    pub org_id: Option<i64>,
    pub page: Page,
}

impl TryFrom<pb::ListPostingsRequest> for PostingListing {
    type Error = FieldViolations;

    fn try_from(request: pb::ListPostingsRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let kind = match pb::PostingKind::try_from(request.kind) {
            Ok(kind) => PostingKind::from_proto(kind),
            Err(_) => {
                v.add("kind", "not a posting kind");
                None
            }
        };
        let optional = |value: &str, field: &str, v: &mut FieldViolations| {
            (!value.is_empty())
                .then(|| ids::uuid(value, field, v))
                .flatten()
        };
        let account_id = optional(&request.account_id, "account_id", &mut v);
        let allocation_id = optional(&request.allocation_id, "allocation_id", &mut v);
        let org_id = org_filter(request.org_id, &mut v);
        let page = Page::parse("ListPostings", &request, &mut v);
        v.then(|| PostingListing {
            account_id,
            allocation_id,
            kind,
            year: request.year,
            org_id,
            page,
        })
    }
}

/// 冲销 — the opposite posting of `posting_id`, with why and on whose
/// authority.
#[derive(Debug, Clone)]
pub struct Reversal {
    pub posting_id: Uuid,
    pub reason: String,
    pub authorised_by: String,
    pub authorisation_reference: String,
    /// The version of what the reversal puts back, as last read: required
    /// once the posting is known to belong to an allocation or a payment.
    pub version: Option<i64>,
}

impl TryFrom<pb::ReversePostingRequest> for Reversal {
    type Error = FieldViolations;

    fn try_from(request: pb::ReversePostingRequest) -> Result<Self, FieldViolations> {
        let mut v = FieldViolations::new();
        let posting_id = ids::uuid(&request.posting_id, "posting_id", &mut v);
        check_text(&request.reason, "reason", 500, &mut v);
        check_text(&request.authorised_by, "authorised_by", 200, &mut v);
        check_optional_text(
            &request.authorisation_reference,
            "authorisation_reference",
            200,
            &mut v,
        );
        // Well-formed whenever given.
        let version = if request.etag.is_empty() {
            None
        } else {
            ids::etag(&request.etag, "etag", &mut v)
        };
        v.then(|| Reversal {
            posting_id: posting_id.unwrap_or_default(),
            reason: request.reason,
            authorised_by: request.authorised_by,
            authorisation_reference: request.authorisation_reference,
            version,
        })
    }
}
