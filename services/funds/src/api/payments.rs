//! 拨付、发放、签字回执 — allocations after a committee decision, payments
//! to members, and the signed receipts that make them vouchers.

use relief_proto::funds::v1 as pb;
use relief_runtime::auth::{Permission, caller};
use relief_runtime::error::{FieldViolations, invalid_field};
use relief_runtime::idempotency::{self, Claim};
use relief_runtime::pagination::Page;
use tonic::Request;
use uuid::Uuid;

use super::{
    FundsApi, check_amount, check_optional_text, check_text, check_year, event, parse_uuid,
};
use crate::domain::account::{AccountKind, PostingKind, PostingRefused};
use crate::domain::allocation::{
    AllocationAsk, AllocationState, HardshipCategory, ReliefType, check_allocation,
};
use crate::domain::money::Money;
use crate::domain::receipt::{ReceiptClaim, check_against_payment, check_fields, voucher_number};
use crate::error::{Error, Result};
use crate::store::{
    AccountSpec, AllocationFilter, Destination, DisbursementFilter, NewAllocation, NewDisbursement,
    NewPosting, NewReceipt, Store, subtree_patterns,
};

impl FundsApi {
    pub(super) async fn do_create_allocation(
        &self,
        request: Request<pb::CreateAllocationRequest>,
    ) -> Result<pb::Allocation> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let mut v = FieldViolations::new();
        let given = request.allocation.clone().unwrap_or_default();
        if request.allocation.is_none() {
            v.add("allocation", "required");
        }
        check_text(
            &given.application_id,
            "allocation.application_id",
            128,
            &mut v,
        );
        let decision = given.decision.clone().unwrap_or_default();
        check_text(
            &decision.decision_id,
            "allocation.decision.decision_id",
            128,
            &mut v,
        );
        check_text(
            &decision.meeting_number,
            "allocation.decision.meeting_number",
            100,
            &mut v,
        );
        let meeting_date = if relief_runtime::time::is_unset(decision.meeting_date.as_ref()) {
            None
        } else {
            let date = relief_runtime::time::from_proto(decision.meeting_date.as_ref());
            match date {
                None => v.add("allocation.decision.meeting_date", "not a calendar date"),
                Some(date) if date > relief_runtime::time::today() => v.add(
                    "allocation.decision.meeting_date",
                    "must not be in the future",
                ),
                Some(_) => {}
            }
            date
        };
        check_text(&given.member_id, "allocation.member_id", 128, &mut v);
        check_text(&given.member_name, "allocation.member_name", 64, &mut v);
        self.check_org(given.org.as_ref(), "allocation.org", &mut v);
        check_year(given.year, "allocation.year", &mut v);
        let relief_type = ReliefType::from_i32(given.relief_type);
        if relief_type.is_none() {
            v.add(
                "allocation.relief_type",
                "required: one-time relief or Spring Festival visit",
            );
        }
        let category = HardshipCategory::from_i32(given.hardship_category);
        if category.is_none() {
            v.add(
                "allocation.hardship_category",
                "required: one of the categories of measures §2.1",
            );
        }
        let amount = check_amount(
            given.amount.as_ref(),
            Money::MAX_RELIEF,
            "allocation.amount",
            &mut v,
        );
        if given.special_case {
            check_text(
                &given.special_case_reason,
                "allocation.special_case_reason",
                1000,
                &mut v,
            );
        } else {
            check_optional_text(
                &given.special_case_reason,
                "allocation.special_case_reason",
                1000,
                &mut v,
            );
        }
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        v.into_result()?;
        let (Some(org), Some(relief_type), Some(category)) =
            (given.org.clone(), relief_type, category)
        else {
            return Err(invalid_field(
                "allocation",
                "org, relief_type and hardship_category are required",
            )
            .into());
        };
        Self::authorize_any(
            &caller,
            &[Permission::FundsManage, Permission::FundsAllocate],
            &org.path,
        )?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "CreateAllocation", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        Store::remember_org(&mut tx, &org).await?;
        // One member, one year: allocations for them wait for each other, so
        // the once-a-year rule sees every earlier one.
        Store::lock_member_year(&mut tx, &given.member_id, given.year).await?;
        if let Some(existing) =
            Store::live_allocation_of_application(&mut tx, &given.application_id).await?
        {
            return Err(Error::AlreadyExists(format!(
                "application {} already has allocation {existing}; one allocation per application",
                given.application_id
            )));
        }
        let earlier_in_year =
            Store::live_allocations_in_year(&mut tx, &given.member_id, given.year).await?;
        let standard = Store::standard(&mut tx, given.year, relief_type, category)
            .await?
            .map(|s| Money::from_fen(s.amount));
        let fund = Store::year_account(&mut tx, AccountKind::CommitteeReliefFund, given.year)
            .await?
            .ok_or_else(|| {
                Error::FailedPrecondition(format!(
                    "the {} budget is not set; set it before allocating",
                    given.year
                ))
            })?;
        check_allocation(&AllocationAsk {
            amount,
            standard,
            special_case: given.special_case,
            earlier_in_year,
            fund_balance: fund.balance(),
        })
        .map_err(|refused| Error::FailedPrecondition(refused.describe()))?;
        let org_account = Store::ensure_account(
            &mut tx,
            &AccountSpec {
                kind: AccountKind::OrgReliefAccount,
                year: 0,
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                member_id: "",
                member_name: "",
            },
        )
        .await?;
        let allocation_id = Uuid::new_v4();
        let posting_id = Uuid::new_v4();
        let reason = format!(
            "拨付 {} {}（{}，{}）",
            given.member_name,
            relief_type.chinese(),
            category.chinese(),
            decision.meeting_number
        );
        Store::post(
            &mut tx,
            &NewPosting {
                posting_id,
                kind: PostingKind::Allocation,
                debit: org_account,
                credit: fund.account_id,
                amount,
                reason: &reason,
                year: given.year,
                org_id: org.org_id,
                org_path: &org.path,
                org_name: &org.name,
                allocation_id: Some(allocation_id),
                disbursement_id: None,
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by_id: &caller.user_id,
                posted_by_name: &caller.display_name,
                request_id: &request.request_id,
            },
        )
        .await?
        .map_err(|refused| match refused {
            // The balance read above was not locked; the posting's lock has
            // the last word when another allocation got there first.
            PostingRefused::Shortfall { balance, amount } => Error::FailedPrecondition(
                crate::domain::allocation::AllocationRefused::FundShort { balance, amount }
                    .describe(),
            ),
            PostingRefused::Overflow => {
                Error::FailedPrecondition("the amount is out of range".to_owned())
            }
        })?;
        Store::insert_allocation(
            &mut tx,
            &NewAllocation {
                allocation_id,
                application_id: &given.application_id,
                decision_id: &decision.decision_id,
                meeting_number: &decision.meeting_number,
                meeting_date,
                member_id: &given.member_id,
                member_name: &given.member_name,
                org: &org,
                year: given.year,
                relief_type,
                category,
                amount,
                standard_amount: standard.unwrap_or_default(),
                special_case: given.special_case,
                special_case_reason: &given.special_case_reason,
                posting_id,
                allocated_by_id: &caller.user_id,
                allocated_by_name: &caller.display_name,
                allocated_date: relief_runtime::time::today(),
            },
        )
        .await?;
        let mut outbox = event(
            pb::FundsEventKind::AllocationCreated,
            Some(org.clone()),
            given.year,
        );
        outbox.application_id = given.application_id.clone();
        outbox.allocation_id = allocation_id.to_string();
        outbox.posting_id = posting_id.to_string();
        outbox.member_id = given.member_id.clone();
        outbox.amount = amount.to_proto();
        Store::emit(
            &mut tx,
            &outbox,
            &[Destination::Notify, Destination::Workflow],
        )
        .await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "allocation.created",
            &format!("allocations/{allocation_id}"),
            serde_json::json!({
                "application_id": given.application_id,
                "decision_id": decision.decision_id,
                "member_id": given.member_id,
                "org_path": org.path,
                "year": given.year,
                "amount_fen": amount.fen(),
                "special_case": given.special_case,
                "special_case_reason": given.special_case_reason,
            }),
        )
        .await?;
        let answer = Store::allocation_in(&mut tx, allocation_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("allocation {allocation_id}")))?
            .to_proto();
        idempotency::complete(&mut tx, &request.request_id, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn do_get_allocation(
        &self,
        request: Request<pb::GetAllocationRequest>,
    ) -> Result<pb::Allocation> {
        let caller = caller(&request)?;
        let id = parse_uuid("allocation_id", &request.get_ref().allocation_id)?;
        let row = self
            .store
            .allocation(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("allocation {id}")))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(row.to_proto())
    }

    pub(super) async fn do_list_allocations(
        &self,
        request: Request<pb::ListAllocationsRequest>,
    ) -> Result<pb::ListAllocationsResponse> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let state = pb::AllocationState::try_from(request.state)
            .map_err(|_| invalid_field("state", "not an allocation state"))?;
        if request.relief_type != 0 && ReliefType::from_i32(request.relief_type).is_none() {
            return Err(invalid_field("relief_type", "not a relief type").into());
        }
        let page = Page::<i64>::of("ListAllocations", request)?;
        let roots = self
            .listing_roots(caller, Permission::FundsRead, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_allocations(&AllocationFilter {
                patterns: subtree_patterns(&roots),
                year: request.year,
                member_id: request.member_id.clone(),
                state: AllocationState::from_proto(state),
                relief_type: request.relief_type,
                application_id: request.application_id.clone(),
                before_seq: page.after.unwrap_or(0),
                limit: page.fetch(),
            })
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.seq);
        Ok(pb::ListAllocationsResponse {
            allocations: rows.iter().map(|r| r.to_proto()).collect(),
            next_page_token,
        })
    }

    pub(super) async fn do_record_disbursement(
        &self,
        request: Request<pb::RecordDisbursementRequest>,
    ) -> Result<pb::Disbursement> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let today = relief_runtime::time::today();
        let mut v = FieldViolations::new();
        let given = request.disbursement.clone().unwrap_or_default();
        if request.disbursement.is_none() {
            v.add("disbursement", "required");
        }
        let allocation_id = Uuid::parse_str(&given.allocation_id).ok();
        if allocation_id.is_none() {
            v.add("disbursement.allocation_id", "must be a UUID");
        }
        let method = pb::DisbursementMethod::try_from(given.method).unwrap_or_default();
        match method {
            pb::DisbursementMethod::Unspecified => {
                v.add("disbursement.method", "required: cash or bank transfer");
            }
            pb::DisbursementMethod::BankTransfer => {
                check_text(
                    &given.bank_reference,
                    "disbursement.bank_reference",
                    100,
                    &mut v,
                );
            }
            pb::DisbursementMethod::Cash => {
                check_optional_text(
                    &given.bank_reference,
                    "disbursement.bank_reference",
                    100,
                    &mut v,
                );
            }
        }
        let paid_date = relief_runtime::time::from_proto(given.paid_date.as_ref());
        match paid_date {
            None => v.add("disbursement.paid_date", "required: a valid calendar date"),
            Some(date) if date > today => {
                v.add("disbursement.paid_date", "must not be in the future")
            }
            Some(_) => {}
        }
        check_text(&given.paid_by, "disbursement.paid_by", 64, &mut v);
        let amount = check_amount(
            given.amount.as_ref(),
            Money::MAX_RELIEF,
            "disbursement.amount",
            &mut v,
        );
        let version =
            relief_runtime::ids::etag(&request.allocation_etag, "allocation_etag", &mut v);
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        v.into_result()?;
        let (Some(allocation_id), Some(paid_date), Some(version)) =
            (allocation_id, paid_date, version)
        else {
            return Err(
                invalid_field("disbursement", "allocation_id and paid_date are required").into(),
            );
        };
        let Some(seen) = self.store.allocation(allocation_id).await? else {
            return Err(invalid_field("disbursement.allocation_id", "no such allocation").into());
        };
        caller.authorize(Permission::DisbursementRecord, &seen.org_path)?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "RecordDisbursement", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let allocation = Store::lock_allocation(&mut tx, allocation_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("allocation {allocation_id}")))?;
        if allocation.version != version {
            return Err(Error::EtagMismatch(format!("allocation {allocation_id}")));
        }
        let next_state = allocation
            .state()
            .disburse()
            .map_err(Error::FailedPrecondition)?;
        let mut v = FieldViolations::new();
        if amount != allocation.amount() {
            v.add(
                "disbursement.amount",
                format!(
                    "must be the allocation's full amount, {}: one payment per allocation",
                    allocation.amount()
                ),
            );
        }
        if paid_date < allocation.allocated_date {
            v.add(
                "disbursement.paid_date",
                "must not be before the allocation's date",
            );
        }
        v.into_result()?;
        let org_account = Store::ensure_account(
            &mut tx,
            &AccountSpec {
                kind: AccountKind::OrgReliefAccount,
                year: 0,
                org_id: allocation.org_id,
                org_path: &allocation.org_path,
                org_name: &allocation.org_name,
                member_id: "",
                member_name: "",
            },
        )
        .await?;
        let member_account = Store::ensure_account(
            &mut tx,
            &AccountSpec {
                kind: AccountKind::MemberPayout,
                year: 0,
                org_id: allocation.org_id,
                org_path: &allocation.org_path,
                org_name: &allocation.org_name,
                member_id: &allocation.member_id,
                member_name: &allocation.member_name,
            },
        )
        .await?;
        let disbursement_id = Uuid::new_v4();
        let posting_id = Uuid::new_v4();
        let reason = format!(
            "发放 {} {}",
            allocation.member_name,
            allocation.relief_type().chinese()
        );
        Store::post(
            &mut tx,
            &NewPosting {
                posting_id,
                kind: PostingKind::Disbursement,
                debit: member_account,
                credit: org_account,
                amount,
                reason: &reason,
                year: allocation.year,
                org_id: allocation.org_id,
                org_path: &allocation.org_path,
                org_name: &allocation.org_name,
                allocation_id: Some(allocation_id),
                disbursement_id: Some(disbursement_id),
                reversal_of: None,
                authorised_by: "",
                authorisation_reference: "",
                posted_by_id: &caller.user_id,
                posted_by_name: &caller.display_name,
                request_id: &request.request_id,
            },
        )
        .await?
        .map_err(|_| {
            Error::FailedPrecondition(format!(
                "the organisation's account does not hold {amount} for this allocation"
            ))
        })?;
        Store::insert_disbursement(
            &mut tx,
            &NewDisbursement {
                disbursement_id,
                allocation_id,
                method: method as i32,
                paid_date,
                paid_by: &given.paid_by,
                amount,
                bank_reference: &given.bank_reference,
                posting_id,
                recorded_by_id: &caller.user_id,
                recorded_by_name: &caller.display_name,
            },
        )
        .await?;
        Store::set_allocation_state(&mut tx, allocation_id, next_state, amount).await?;
        let mut outbox = event(
            pb::FundsEventKind::DisbursementRecorded,
            Some(allocation.org()),
            allocation.year,
        );
        outbox.application_id = allocation.application_id.clone();
        outbox.allocation_id = allocation_id.to_string();
        outbox.disbursement_id = disbursement_id.to_string();
        outbox.posting_id = posting_id.to_string();
        outbox.member_id = allocation.member_id.clone();
        outbox.amount = amount.to_proto();
        Store::emit(
            &mut tx,
            &outbox,
            &[Destination::Notify, Destination::Workflow],
        )
        .await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "disbursement.recorded",
            &format!("disbursements/{disbursement_id}"),
            serde_json::json!({
                "allocation_id": allocation_id.to_string(),
                "method": method.as_str_name(),
                "paid_date": paid_date.to_string(),
                "paid_by": given.paid_by,
                "amount_fen": amount.fen(),
            }),
        )
        .await?;
        let answer = Store::disbursement_in(&mut tx, disbursement_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("disbursement {disbursement_id}")))?
            .to_proto(today);
        idempotency::complete(&mut tx, &request.request_id, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    pub(super) async fn do_get_disbursement(
        &self,
        request: Request<pb::GetDisbursementRequest>,
    ) -> Result<pb::Disbursement> {
        let caller = caller(&request)?;
        let id = parse_uuid("disbursement_id", &request.get_ref().disbursement_id)?;
        let row = self
            .store
            .disbursement(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("disbursement {id}")))?;
        caller.authorize(Permission::FundsRead, &row.org_path)?;
        Ok(row.to_proto(relief_runtime::time::today()))
    }

    pub(super) async fn do_list_disbursements(
        &self,
        request: Request<pb::ListDisbursementsRequest>,
    ) -> Result<pb::ListDisbursementsResponse> {
        let caller = caller(&request)?;
        let request = request.get_ref();
        let allocation_id = if request.allocation_id.is_empty() {
            None
        } else {
            Some(parse_uuid("allocation_id", &request.allocation_id)?)
        };
        let page = Page::<i64>::of("ListDisbursements", request)?;
        let roots = self
            .listing_roots(caller, Permission::FundsRead, request.org_id, "org_id")
            .await?;
        let mut rows = self
            .store
            .list_disbursements(&DisbursementFilter {
                patterns: subtree_patterns(&roots),
                year: request.year,
                allocation_id,
                member_id: request.member_id.clone(),
                receipt_missing_only: request.receipt_missing_only,
                before_seq: page.after.unwrap_or(0),
                limit: page.fetch(),
            })
            .await?;
        let next_page_token = page.next(&mut rows, |r| r.seq);
        let today = relief_runtime::time::today();
        Ok(pb::ListDisbursementsResponse {
            disbursements: rows.iter().map(|r| r.to_proto(today)).collect(),
            next_page_token,
        })
    }

    pub(super) async fn do_record_receipt(
        &self,
        request: Request<pb::RecordReceiptRequest>,
    ) -> Result<pb::Receipt> {
        let caller = caller(&request)?.clone();
        let request = request.into_inner();
        let today = relief_runtime::time::today();
        let mut v = FieldViolations::new();
        let disbursement_id = Uuid::parse_str(&request.disbursement_id).ok();
        if disbursement_id.is_none() {
            v.add("disbursement_id", "must be a UUID");
        }
        let claim = ReceiptClaim {
            signer_name: &request.signer_name,
            sealed: request.sealed,
            scan_sha256: &request.scan_sha256,
            signed_date: relief_runtime::time::from_proto(request.signed_date.as_ref()),
        };
        check_fields(&claim, today, &mut v);
        let version = relief_runtime::ids::etag(&request.etag, "etag", &mut v);
        relief_runtime::idempotency::check_request_id(&request.request_id)?;
        v.into_result()?;
        let (Some(disbursement_id), Some(signed_date), Some(version)) =
            (disbursement_id, claim.signed_date, version)
        else {
            return Err(invalid_field(
                "disbursement_id",
                "disbursement_id and signed_date are required",
            )
            .into());
        };
        let Some(seen) = self.store.disbursement(disbursement_id).await? else {
            return Err(invalid_field("disbursement_id", "no such disbursement").into());
        };
        caller.authorize(Permission::DisbursementRecord, &seen.org_path)?;

        let mut tx = self.store.begin().await?;
        if let Claim::Replay(answer) =
            idempotency::claim(&mut tx, "RecordReceipt", &request.request_id, &request).await?
        {
            return Ok(answer);
        }
        let allocation = Store::lock_allocation(&mut tx, seen.allocation_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("allocation {}", seen.allocation_id)))?;
        let disbursement = Store::disbursement_in(&mut tx, disbursement_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("disbursement {disbursement_id}")))?;
        // Read under the allocation's lock, which every change of its
        // disbursements takes first.
        if disbursement.version != version {
            return Err(Error::EtagMismatch(format!(
                "disbursement {disbursement_id}"
            )));
        }
        if disbursement.reversed {
            return Err(Error::FailedPrecondition(
                "the payment was reversed; a receipt belongs to a payment that stands".to_owned(),
            ));
        }
        if disbursement.receipt_id.is_some() {
            return Err(Error::FailedPrecondition(
                "the payment already has its receipt".to_owned(),
            ));
        }
        let next_state = allocation
            .state()
            .receipt()
            .map_err(Error::FailedPrecondition)?;
        let mut v = FieldViolations::new();
        check_against_payment(
            &claim,
            &allocation.member_name,
            disbursement.paid_date,
            &mut v,
        );
        v.into_result()?;
        let number = voucher_number(
            allocation.year,
            Store::next_voucher(&mut tx, allocation.year).await?,
        );
        let receipt_id = Uuid::new_v4();
        let receipt = Store::insert_receipt(
            &mut tx,
            &NewReceipt {
                receipt_id,
                disbursement_id,
                allocation_id: allocation.allocation_id,
                signer_name: request.signer_name.trim(),
                signed_date,
                scan_sha256: &request.scan_sha256.to_ascii_lowercase(),
                sealed: request.sealed,
                voucher_number: &number,
                recorded_by_id: &caller.user_id,
                recorded_by_name: &caller.display_name,
            },
        )
        .await?;
        Store::set_allocation_state(
            &mut tx,
            allocation.allocation_id,
            next_state,
            allocation.amount(),
        )
        .await?;
        let mut outbox = event(
            pb::FundsEventKind::ReceiptRecorded,
            Some(allocation.org()),
            allocation.year,
        );
        outbox.application_id = allocation.application_id.clone();
        outbox.allocation_id = allocation.allocation_id.to_string();
        outbox.disbursement_id = disbursement_id.to_string();
        outbox.receipt_id = receipt_id.to_string();
        outbox.member_id = allocation.member_id.clone();
        outbox.amount = Money::from_fen(disbursement.amount).to_proto();
        outbox.voucher_number = number.clone();
        Store::emit(&mut tx, &outbox, &[Destination::Workflow]).await?;
        Store::audit(
            &mut tx,
            &caller.actor(),
            "receipt.recorded",
            &format!("disbursements/{disbursement_id}"),
            serde_json::json!({
                "receipt_id": receipt_id.to_string(),
                "voucher_number": number,
                "signer_name": receipt.signer_name,
                "sealed": receipt.sealed,
                "scan_sha256": receipt.scan_sha256,
            }),
        )
        .await?;
        let answer = receipt.to_proto();
        idempotency::complete(&mut tx, &request.request_id, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }
}
