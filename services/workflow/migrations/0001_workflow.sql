-- The workflow's own schema (SPEC §4): relief applications and everything
-- recorded on their way. States and enums are stored as the proto's numbers.
-- Timestamps are UTC; "days" and deadlines are computed in Beijing time.

-- 救助申请 — one application. The member, branch and reviewing levels are
-- copied from the ledger when the application is created (the ledger owns
-- them); household facts are sealed (AES-256-GCM, the id bound in).
CREATE TABLE applications (
    application_id        uuid PRIMARY KEY,
    -- Listing order (newest first) and page key.
    seq                   bigserial   NOT NULL UNIQUE,
    member_id             uuid        NOT NULL,
    member_name           text        NOT NULL,
    branch_id             bigint      NOT NULL,
    branch_name           text        NOT NULL,
    branch_path           text        NOT NULL,
    -- The superior organisations that review, nearest first (jsonb array of
    -- {org_id, name, path}); empty for a branch directly under the committee.
    review_levels         jsonb       NOT NULL DEFAULT '[]',
    -- Index into review_levels of the level reviewing now (or next).
    review_level          int         NOT NULL DEFAULT 0,
    year                  int         NOT NULL,
    hardship_category     int         NOT NULL,
    other_categories      int[]       NOT NULL DEFAULT '{}',
    affected_person       int         NOT NULL DEFAULT 0,
    affected_relation     text        NOT NULL DEFAULT '',
    requested_relief_type int         NOT NULL,
    description           text        NOT NULL DEFAULT '',
    household_sealed      bytea       NOT NULL,
    entered_on_behalf     boolean     NOT NULL,
    created_by_id         text        NOT NULL,
    created_by_name       text        NOT NULL,
    state                 int         NOT NULL,
    state_entered_at      timestamptz NOT NULL,
    state_deadline        timestamptz,
    returned_from_state   int         NOT NULL DEFAULT 0,
    return_note           text        NOT NULL DEFAULT '',
    requested_evidence    int[]       NOT NULL DEFAULT '{}',
    urgent                boolean     NOT NULL DEFAULT false,
    branch_review         jsonb,
    superior_review       jsonb,
    register_record_id    text        NOT NULL DEFAULT '',
    allocation_id         text        NOT NULL DEFAULT '',
    disbursement_id       text        NOT NULL DEFAULT '',
    voucher_number        text        NOT NULL DEFAULT '',
    close_reason          text        NOT NULL DEFAULT '',
    closed_at             timestamptz,
    created_at            timestamptz NOT NULL,
    updated_at            timestamptz NOT NULL,
    submitted_at          timestamptz,
    version               bigint      NOT NULL DEFAULT 1
);
CREATE INDEX applications_branch_path ON applications (branch_path text_pattern_ops);
CREATE INDEX applications_member_year ON applications (member_id, year);
CREATE INDEX applications_updated ON applications (updated_at DESC, application_id DESC);
CREATE INDEX applications_deadline ON applications (state_deadline) WHERE state_deadline IS NOT NULL;

-- 办理记录 — every step of an application, in order.
CREATE TABLE application_steps (
    application_id uuid        NOT NULL REFERENCES applications,
    seq            int         NOT NULL,
    action         text        NOT NULL,
    from_state     int         NOT NULL,
    to_state       int         NOT NULL,
    actor_id       text        NOT NULL,
    actor_name     text        NOT NULL,
    at             timestamptz NOT NULL,
    comment        text        NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, seq)
);

-- 证明材料 — proof files, never overwritten.
CREATE TABLE evidence (
    evidence_id    uuid        PRIMARY KEY,
    application_id uuid        NOT NULL REFERENCES applications,
    kind           int         NOT NULL,
    file_name      text        NOT NULL,
    content_type   text        NOT NULL,
    sha256         text        NOT NULL,
    size_bytes     bigint      NOT NULL,
    description    text        NOT NULL DEFAULT '',
    -- For a hospital diagnosis: the hospital and its level (county or above).
    hospital_name  text        NOT NULL DEFAULT '',
    hospital_level int         NOT NULL DEFAULT 0,
    content        bytea       NOT NULL,
    uploaded_by_id   text      NOT NULL,
    uploaded_by_name text      NOT NULL,
    uploaded_at    timestamptz NOT NULL
);
CREATE INDEX evidence_application ON evidence (application_id, uploaded_at, evidence_id);

-- 公示 — public notices; the timer is the row itself: a running notice whose
-- ends_at has passed and that has no open objection is ended by the sweep.
CREATE TABLE public_notices (
    public_notice_id uuid        PRIMARY KEY,
    application_id   uuid        NOT NULL REFERENCES applications,
    org_id           bigint      NOT NULL,
    org_name         text        NOT NULL,
    org_path         text        NOT NULL,
    notice_text      text        NOT NULL,
    days             int         NOT NULL,
    day_kind         int         NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    ended_at         timestamptz,
    state            int         NOT NULL,
    created_at       timestamptz NOT NULL
);
CREATE INDEX public_notices_due ON public_notices (ends_at) WHERE state = 1;
CREATE INDEX public_notices_org ON public_notices (org_path text_pattern_ops);
CREATE INDEX public_notices_application ON public_notices (application_id);

-- 异议 — objections against a notice.
CREATE TABLE objections (
    objection_id     uuid        PRIMARY KEY,
    public_notice_id uuid        NOT NULL REFERENCES public_notices,
    content          text        NOT NULL,
    objector_name    text        NOT NULL DEFAULT '',
    objector_contact text        NOT NULL DEFAULT '',
    raised_by_id     text        NOT NULL,
    raised_by_name   text        NOT NULL,
    raised_at        timestamptz NOT NULL,
    state            int         NOT NULL,
    resolution_note  text        NOT NULL DEFAULT '',
    resolved_by_id   text        NOT NULL DEFAULT '',
    resolved_by_name text        NOT NULL DEFAULT '',
    resolved_at      timestamptz
);
CREATE INDEX objections_notice ON objections (public_notice_id, raised_at);

-- 救助慰问意见 — the department's proposals; the latest counts.
CREATE TABLE proposals (
    proposal_id         uuid        PRIMARY KEY,
    application_id      uuid        NOT NULL REFERENCES applications,
    relief_type         int         NOT NULL,
    hardship_category   int         NOT NULL,
    amount_fen          bigint      NOT NULL,
    standard_fen        bigint      NOT NULL,
    rule_checks         jsonb       NOT NULL,
    special_case        boolean     NOT NULL,
    special_case_reason text        NOT NULL DEFAULT '',
    opinion             text        NOT NULL DEFAULT '',
    proposed_by_id      text        NOT NULL,
    proposed_by_name    text        NOT NULL,
    proposed_at         timestamptz NOT NULL
);
CREATE INDEX proposals_application ON proposals (application_id, proposed_at DESC);

-- 工委会议 — a committee meeting, a record of its own that decides a batch of
-- applications; decisions name it by its number (会议期次).
CREATE TABLE meetings (
    meeting_number text PRIMARY KEY,
    meeting_date   date        NOT NULL,
    attendance     text        NOT NULL DEFAULT '',
    minutes        text        NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL
);

-- 工委会议决定 — one decision per application.
CREATE TABLE decisions (
    decision_id         uuid        PRIMARY KEY,
    application_id      uuid        NOT NULL UNIQUE REFERENCES applications,
    proposal_id         uuid        NOT NULL REFERENCES proposals,
    meeting_number      text        NOT NULL REFERENCES meetings,
    outcome             int         NOT NULL,
    relief_type         int         NOT NULL DEFAULT 0,
    hardship_category   int         NOT NULL DEFAULT 0,
    amount_fen          bigint      NOT NULL DEFAULT 0,
    special_case        boolean     NOT NULL DEFAULT false,
    special_case_reason text        NOT NULL DEFAULT '',
    minutes_excerpt     text        NOT NULL DEFAULT '',
    member_id           uuid        NOT NULL,
    year                int         NOT NULL,
    recorded_by_id      text        NOT NULL,
    recorded_by_name    text        NOT NULL,
    recorded_at         timestamptz NOT NULL
);
CREATE INDEX decisions_member_year ON decisions (member_id, year);

-- 节假日安排 — the State Council's holiday schedule of a year, as data.
CREATE TABLE holiday_calendars (
    year            int PRIMARY KEY,
    entries         jsonb       NOT NULL,
    source          text        NOT NULL DEFAULT '',
    changed_by_id   text        NOT NULL,
    changed_by_name text        NOT NULL,
    changed_at      timestamptz NOT NULL,
    version         bigint      NOT NULL DEFAULT 1
);

-- The workflow settings: one row (notice length, per-state deadlines).
CREATE TABLE workflow_settings (
    id              boolean PRIMARY KEY DEFAULT true CHECK (id),
    settings        jsonb       NOT NULL,
    changed_by_id   text        NOT NULL DEFAULT '',
    changed_by_name text        NOT NULL DEFAULT '',
    changed_at      timestamptz NOT NULL DEFAULT now(),
    version         bigint      NOT NULL DEFAULT 1
);
