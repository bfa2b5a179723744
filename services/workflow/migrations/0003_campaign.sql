-- 年度核查 — the yearly verification campaign of the register (SPEC §5;
-- notice §二–§三): the campaign, each unit's issued summary form, its rows,
-- the branches' meetings and notice results, and the reminders sent.
-- States and enums are stored as the proto's numbers; dates are Beijing
-- calendar dates, timestamps UTC.

-- 年度核查 — at most one campaign a year.
CREATE TABLE campaigns (
    campaign_id     uuid PRIMARY KEY,
    -- Listing page key.
    seq             bigserial   NOT NULL UNIQUE,
    year            int         NOT NULL UNIQUE,
    title           text        NOT NULL,
    collect_by      date        NOT NULL,
    submit_by       date        NOT NULL,
    state           int         NOT NULL,
    opened_by_id    text        NOT NULL,
    opened_by_name  text        NOT NULL,
    opened_at       timestamptz NOT NULL,
    closed_at       timestamptz,
    version         bigint      NOT NULL DEFAULT 1,
    CHECK (collect_by <= submit_by)
);

-- 《困难党员备案统计汇总表》 issued to one unit: a superior organisation or a
-- branch directly under the committee. The submission, acceptance, returns
-- and new-member package are kept as the API shows them (jsonb).
CREATE TABLE campaign_units (
    campaign_unit_id  uuid PRIMARY KEY,
    -- Issue order (units are issued by path): listing order and page key.
    seq               bigserial   NOT NULL UNIQUE,
    campaign_id       uuid        NOT NULL REFERENCES campaigns,
    unit_org_id       bigint      NOT NULL,
    unit_name         text        NOT NULL,
    unit_path         text        NOT NULL,
    state             int         NOT NULL,
    issued_at         timestamptz NOT NULL,
    collected_at      timestamptz,
    collected_by_name text        NOT NULL DEFAULT '',
    -- The last submission (cleared by a return), its submitter and time.
    submission        jsonb,
    submitted_by_id   text        NOT NULL DEFAULT '',
    submitted_at      timestamptz,
    new_members       jsonb       NOT NULL DEFAULT '[]',
    returns           jsonb       NOT NULL DEFAULT '[]',
    accepted          jsonb,
    accepted_at       timestamptz,
    version           bigint      NOT NULL DEFAULT 1,
    UNIQUE (campaign_id, unit_org_id)
);
CREATE INDEX campaign_units_path ON campaign_units (campaign_id, unit_path text_pattern_ops);

-- One row of a unit's form: an active register record at issue time, and
-- the branch's verification of it. The adjusted income is sealed.
CREATE TABLE campaign_rows (
    row_id                 uuid PRIMARY KEY,
    -- Issue order (by branch path and name): listing order and page key.
    seq                    bigserial   NOT NULL UNIQUE,
    campaign_unit_id       uuid        NOT NULL REFERENCES campaign_units,
    campaign_id            uuid        NOT NULL REFERENCES campaigns,
    member_id              uuid        NOT NULL,
    record_id              uuid        NOT NULL,
    member_name            text        NOT NULL,
    branch_id              bigint      NOT NULL,
    branch_name            text        NOT NULL,
    branch_path            text        NOT NULL,
    hardship_category      int         NOT NULL,
    register_summary       text        NOT NULL,
    outcome                int         NOT NULL DEFAULT 0,
    findings               text        NOT NULL DEFAULT '',
    exclusion_checks       jsonb       NOT NULL DEFAULT '[]',
    adjust_category        int         NOT NULL DEFAULT 0,
    adjust_household_size  int         NOT NULL DEFAULT 0,
    adjust_income_sealed   bytea,
    removal_reason         text        NOT NULL DEFAULT '',
    verified_by_id         text        NOT NULL DEFAULT '',
    verified_by_name       text        NOT NULL DEFAULT '',
    verified_at            timestamptz,
    resolved_by_meeting    boolean     NOT NULL DEFAULT false,
    -- Written to the register on acceptance.
    applied_at             timestamptz,
    version                bigint      NOT NULL DEFAULT 1,
    UNIQUE (campaign_unit_id, record_id)
);
CREATE INDEX campaign_rows_unit ON campaign_rows (campaign_unit_id, seq);

-- 支部大会 — the branch general meeting that resolved on its rows (one per
-- branch and unit; recorded again after a return).
CREATE TABLE campaign_meetings (
    campaign_unit_id uuid        NOT NULL REFERENCES campaign_units,
    branch_id        bigint      NOT NULL,
    branch_name      text        NOT NULL,
    branch_path      text        NOT NULL,
    meeting_date     date        NOT NULL,
    attendance       int         NOT NULL,
    resolution       text        NOT NULL,
    recorded_by_id   text        NOT NULL,
    recorded_by_name text        NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (campaign_unit_id, branch_id)
);

-- 公示结果 — the branch's notice of the verification result.
CREATE TABLE campaign_notices (
    campaign_unit_id uuid        NOT NULL REFERENCES campaign_units,
    branch_id        bigint      NOT NULL,
    branch_name      text        NOT NULL,
    branch_path      text        NOT NULL,
    start_date       date        NOT NULL,
    end_date         date        NOT NULL,
    outcome          int         NOT NULL,
    note             text        NOT NULL,
    recorded_by_id   text        NOT NULL,
    recorded_by_name text        NOT NULL,
    recorded_at      timestamptz NOT NULL,
    PRIMARY KEY (campaign_unit_id, branch_id)
);

-- Reminders sent, so the sweep sends each once: a unit, the deadline it is
-- about, and its kind (approaching, missed).
CREATE TABLE campaign_reminders (
    campaign_unit_id uuid        NOT NULL REFERENCES campaign_units,
    deadline         date        NOT NULL,
    kind             text        NOT NULL,
    sent_at          timestamptz NOT NULL,
    PRIMARY KEY (campaign_unit_id, deadline, kind)
);
