-- 台账: the organisation tree, members, hardship records, verifications,
-- their history, and the log of unmasked reads. Nothing here is ever deleted.

CREATE TABLE orgs (
    org_id      bigserial PRIMARY KEY,
    parent_id   bigint REFERENCES orgs (org_id),
    kind        text NOT NULL CHECK (kind IN ('committee', 'superior', 'branch')),
    name        text NOT NULL,
    unit_name   text NOT NULL DEFAULT '',
    -- Materialised path of ids from the root, e.g. '/1/4/12/'.
    path        text NOT NULL UNIQUE,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Subtree lookups are prefix matches on the path.
CREATE INDEX orgs_path_prefix ON orgs (path text_pattern_ops);
CREATE INDEX orgs_parent ON orgs (parent_id);
CREATE UNIQUE INDEX orgs_one_committee ON orgs ((kind)) WHERE kind = 'committee';

CREATE TABLE members (
    member_id             uuid PRIMARY KEY,
    org_id                bigint NOT NULL REFERENCES orgs (org_id),
    -- Copy of the branch's path (paths never change), for subtree queries.
    org_path              text NOT NULL,
    name                  text NOT NULL,
    sex                   text NOT NULL CHECK (sex IN ('male', 'female')),
    birth_date            date NOT NULL,
    -- Keyed hash of the ID number: finds a person again, reveals nothing.
    id_number_hash        text NOT NULL UNIQUE,
    id_number_masked      text NOT NULL,
    party_join_date       date NOT NULL,
    work_unit             text NOT NULL,
    employment_status     integer NOT NULL,
    phone_masked          text NOT NULL DEFAULT '',
    address               text NOT NULL DEFAULT '',
    receives_dibao        boolean NOT NULL DEFAULT false,
    receives_special_care boolean NOT NULL DEFAULT false,
    -- Relation, name, age, occupation, able to work: readable by anyone who
    -- may read the member.
    family_public         jsonb NOT NULL DEFAULT '[]',
    -- AES-GCM sealed: ID number, phone, health, incomes, bank, family incomes.
    sealed                bytea NOT NULL,
    version               bigint NOT NULL DEFAULT 1,
    created_by            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX members_org_path_name ON members (org_path text_pattern_ops, name, member_id);
CREATE INDEX members_name ON members (name text_pattern_ops);

CREATE TABLE records (
    record_id        uuid PRIMARY KEY,
    member_id        uuid NOT NULL REFERENCES members (member_id),
    org_id           bigint NOT NULL REFERENCES orgs (org_id),
    org_path         text NOT NULL,
    category         text NOT NULL,
    cause            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    household_size   integer NOT NULL CHECK (household_size BETWEEN 1 AND 30),
    -- AES-GCM sealed yearly household income (fen).
    sealed_income    bytea NOT NULL,
    status           text NOT NULL CHECK (status IN ('active', 'removed')),
    recognised       boolean NOT NULL DEFAULT false,
    since            date NOT NULL,
    until            date,
    removal_reason   text NOT NULL DEFAULT '',
    source_kind      text NOT NULL,
    source_ref       text NOT NULL DEFAULT '',
    created_by_id    text NOT NULL,
    created_by_name  text NOT NULL,
    checked_by_id    text NOT NULL DEFAULT '',
    checked_by_name  text NOT NULL DEFAULT '',
    version          bigint NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (until IS NULL OR until >= since)
);
-- A member is on the register at most once at a time.
CREATE UNIQUE INDEX records_one_active_per_member ON records (member_id) WHERE status = 'active';
CREATE INDEX records_org_path ON records (org_path text_pattern_ops, record_id);
CREATE INDEX records_member ON records (member_id);
CREATE INDEX records_since ON records (since);

CREATE TABLE verifications (
    record_id           uuid NOT NULL REFERENCES records (record_id),
    year                integer NOT NULL,
    outcome             text NOT NULL CHECK (outcome IN ('continue', 'adjust', 'remove')),
    findings            text NOT NULL,
    branch_meeting_date date,
    notice_start        date,
    notice_end          date,
    notice_result       text NOT NULL DEFAULT '',
    campaign_id         text NOT NULL DEFAULT '',
    verified_by_id      text NOT NULL,
    verified_by_name    text NOT NULL,
    verified_at         timestamptz NOT NULL DEFAULT now(),
    -- One verification per record and year.
    PRIMARY KEY (record_id, year)
);

CREATE TABLE history (
    history_id     bigserial PRIMARY KEY,
    resource       text NOT NULL,
    action         text NOT NULL,
    actor_id       text NOT NULL,
    actor_name     text NOT NULL,
    reason         text NOT NULL DEFAULT '',
    changed_fields text[] NOT NULL DEFAULT '{}',
    before_json    jsonb,
    after_json     jsonb,
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX history_resource ON history (resource, history_id);

CREATE TABLE sensitive_reads (
    read_id     bigserial PRIMARY KEY,
    resource    text NOT NULL,
    reader_id   text NOT NULL,
    reader_name text NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sensitive_reads_resource ON sensitive_reads (resource, read_id);
