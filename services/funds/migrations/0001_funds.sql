-- 救助资金: a double-entry ledger of the relief funds. Accounts keep their
-- running totals; postings are immutable (a trigger refuses UPDATE and
-- DELETE); every rule that concurrency could break is a constraint here:
-- non-negative balances, one live allocation per application, one live
-- disbursement per allocation, paid never above allocated, one reversal per
-- posting, one receipt per disbursement.

-- Organisation references as callers gave them (org_id → path, name), so that
-- filters by org_id can be turned into subtree prefixes.
CREATE TABLE orgs (
    org_id     bigint PRIMARY KEY,
    path       text NOT NULL,
    name       text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
    account_id   uuid PRIMARY KEY,
    seq          bigserial UNIQUE,
    kind         text NOT NULL CHECK (kind IN ('committee_relief_fund', 'org_relief_account', 'member_payout', 'party_dues_income')),
    name         text NOT NULL,
    -- The fund's and the income's year; 0 for the others.
    year         integer NOT NULL DEFAULT 0,
    org_id       bigint NOT NULL,
    org_path     text NOT NULL,
    org_name     text NOT NULL,
    member_id    text NOT NULL DEFAULT '',
    member_name  text NOT NULL DEFAULT '',
    -- Sums of the postings into (debit) and out of (credit) the account.
    total_in     bigint NOT NULL DEFAULT 0 CHECK (total_in >= 0),
    total_out    bigint NOT NULL DEFAULT 0 CHECK (total_out >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The balance on the account's normal side never goes negative: income
    -- cannot take back more than it gave, the others cannot give more than
    -- they received. Checked on every row update, so under any concurrency.
    CONSTRAINT balance_not_negative CHECK (
        CASE WHEN kind = 'party_dues_income' THEN total_out - total_in ELSE total_in - total_out END >= 0
    )
);
CREATE UNIQUE INDEX accounts_one_fund_per_year ON accounts (kind, year)
    WHERE kind IN ('committee_relief_fund', 'party_dues_income');
CREATE UNIQUE INDEX accounts_one_per_org ON accounts (org_id) WHERE kind = 'org_relief_account';
CREATE UNIQUE INDEX accounts_one_per_member ON accounts (member_id) WHERE kind = 'member_payout';
CREATE INDEX accounts_org_path ON accounts (org_path text_pattern_ops);

CREATE TABLE postings (
    posting_id              uuid PRIMARY KEY,
    seq                     bigserial UNIQUE,
    kind                    text NOT NULL CHECK (kind IN ('budget', 'allocation', 'disbursement', 'reversal')),
    debit_account_id        uuid NOT NULL REFERENCES accounts (account_id),
    credit_account_id       uuid NOT NULL REFERENCES accounts (account_id),
    amount                  bigint NOT NULL CHECK (amount > 0),
    reason                  text NOT NULL,
    year                    integer NOT NULL,
    org_id                  bigint NOT NULL,
    org_path                text NOT NULL,
    org_name                text NOT NULL,
    allocation_id           uuid,
    disbursement_id         uuid,
    -- A posting is reversed at most once, and a reversal is never reversed
    -- (the second is checked by the service, the first by this index).
    reversal_of             uuid UNIQUE REFERENCES postings (posting_id),
    authorised_by           text NOT NULL DEFAULT '',
    authorisation_reference text NOT NULL DEFAULT '',
    posted_by_id            text NOT NULL,
    posted_by_name          text NOT NULL,
    posted_at               timestamptz NOT NULL DEFAULT now(),
    request_id              text NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind = 'reversal') = (reversal_of IS NOT NULL))
);
CREATE INDEX postings_debit ON postings (debit_account_id, seq);
CREATE INDEX postings_credit ON postings (credit_account_id, seq);
CREATE INDEX postings_allocation ON postings (allocation_id, seq);
CREATE INDEX postings_year_path ON postings (year, org_path text_pattern_ops);

CREATE FUNCTION postings_are_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'postings are immutable: correct a posting with a reversal'
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER postings_immutable BEFORE UPDATE OR DELETE ON postings
    FOR EACH ROW EXECUTE FUNCTION postings_are_immutable();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
    FOR EACH STATEMENT EXECUTE FUNCTION postings_are_immutable();

CREATE TABLE relief_standards (
    year              integer NOT NULL,
    relief_type       integer NOT NULL CHECK (relief_type IN (1, 2)),
    hardship_category integer NOT NULL CHECK (hardship_category BETWEEN 1 AND 5),
    amount            bigint NOT NULL CHECK (amount > 0),
    note              text NOT NULL DEFAULT '',
    version           bigint NOT NULL DEFAULT 1,
    changed_by_id     text NOT NULL,
    changed_by_name   text NOT NULL,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    reason            text NOT NULL DEFAULT '',
    PRIMARY KEY (year, relief_type, hardship_category)
);

CREATE TABLE allocations (
    allocation_id       uuid PRIMARY KEY,
    seq                 bigserial UNIQUE,
    application_id      text NOT NULL,
    decision_id         text NOT NULL,
    meeting_number      text NOT NULL,
    meeting_date        date,
    member_id           text NOT NULL,
    member_name         text NOT NULL,
    org_id              bigint NOT NULL,
    org_path            text NOT NULL,
    org_name            text NOT NULL,
    year                integer NOT NULL,
    relief_type         integer NOT NULL,
    hardship_category   integer NOT NULL,
    amount              bigint NOT NULL CHECK (amount > 0),
    -- Paid to the member (net of reversed disbursements): never above the
    -- amount allocated.
    paid                bigint NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),
    standard_amount     bigint NOT NULL DEFAULT 0,
    special_case        boolean NOT NULL DEFAULT false,
    special_case_reason text NOT NULL DEFAULT '',
    state               text NOT NULL CHECK (state IN ('allocated', 'disbursed', 'receipted', 'reversed')),
    posting_id          uuid NOT NULL REFERENCES postings (posting_id),
    allocated_by_id     text NOT NULL,
    allocated_by_name   text NOT NULL,
    allocated_at        timestamptz NOT NULL DEFAULT now(),
    -- The Beijing calendar day of allocated_at, for the inspection's limits.
    allocated_date      date NOT NULL
);
-- 每份申请至多一次拨付: at most one live allocation per application.
CREATE UNIQUE INDEX allocations_one_per_application ON allocations (application_id) WHERE state <> 'reversed';
CREATE INDEX allocations_member_year ON allocations (member_id, year);
CREATE INDEX allocations_year_path ON allocations (year, org_path text_pattern_ops);

CREATE TABLE disbursements (
    disbursement_id uuid PRIMARY KEY,
    seq             bigserial UNIQUE,
    allocation_id   uuid NOT NULL REFERENCES allocations (allocation_id),
    method          integer NOT NULL CHECK (method IN (1, 2)),
    paid_date       date NOT NULL,
    paid_by         text NOT NULL,
    amount          bigint NOT NULL CHECK (amount > 0),
    bank_reference  text NOT NULL DEFAULT '',
    posting_id      uuid NOT NULL REFERENCES postings (posting_id),
    reversed        boolean NOT NULL DEFAULT false,
    -- The outbox event telling that the receipt is overdue, once written.
    receipt_missing_event_id uuid,
    recorded_by_id   text NOT NULL,
    recorded_by_name text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
-- One live payment per allocation.
CREATE UNIQUE INDEX disbursements_one_per_allocation ON disbursements (allocation_id) WHERE NOT reversed;

CREATE TABLE receipts (
    receipt_id       uuid PRIMARY KEY,
    disbursement_id  uuid NOT NULL UNIQUE REFERENCES disbursements (disbursement_id),
    allocation_id    uuid NOT NULL REFERENCES allocations (allocation_id),
    signer_name      text NOT NULL,
    signed_date      date NOT NULL,
    scan_sha256      text NOT NULL,
    sealed           boolean NOT NULL,
    voucher_number   text NOT NULL UNIQUE,
    recorded_by_id   text NOT NULL,
    recorded_by_name text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);

-- 入帐凭证号: numbered per year without gaps, JZ-<year>-<n>.
CREATE TABLE voucher_counters (
    year integer PRIMARY KEY,
    last integer NOT NULL
);

CREATE TABLE inspection_reports (
    report_id  uuid PRIMARY KEY,
    seq        bigserial UNIQUE,
    year       integer NOT NULL,
    org_path   text NOT NULL,
    -- The InspectionReport message as generated (protobuf).
    report     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The transactional outbox: an event per state change, written in the
-- change's transaction; one delivery row per destination, retried until the
-- destination accepts it. Nothing here is deleted by the service.
CREATE TABLE outbox (
    event_id   uuid PRIMARY KEY,
    seq        bigserial UNIQUE,
    kind       integer NOT NULL,
    -- The FundsEvent message (protobuf).
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox_deliveries (
    event_id        uuid NOT NULL REFERENCES outbox (event_id),
    destination     text NOT NULL CHECK (destination IN ('notify', 'workflow')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    PRIMARY KEY (event_id, destination)
);
CREATE INDEX outbox_deliveries_due ON outbox_deliveries (destination, next_attempt_at) WHERE delivered_at IS NULL;
