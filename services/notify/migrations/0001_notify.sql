-- 通知 — the notification service's own tables (schema "notify"). The
-- runtime's tables (request ids, audit chain, outbox) come first, from the
-- runtime's migrations.

-- An event as it was accepted: the de-duplication key is its id at the source.
CREATE TABLE events (
    event_id uuid PRIMARY KEY,
    kind integer NOT NULL CHECK (kind > 0),
    org_id bigint NOT NULL,
    org_path text NOT NULL,
    org_name text NOT NULL,
    parameters jsonb NOT NULL,
    link text NOT NULL,
    source text NOT NULL,
    published_by text NOT NULL,
    occurred_at timestamptz,
    -- Not told before this (a reminder published ahead of its due date).
    deliver_at timestamptz NOT NULL,
    recipient_count integer NOT NULL DEFAULT 0,
    deliveries_scheduled integer NOT NULL DEFAULT 0,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- 站内信 — the in-app inbox: one message per event and recipient.
CREATE TABLE inbox (
    seq bigserial UNIQUE,
    notification_id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES events (event_id),
    recipient_user_id text NOT NULL,
    kind integer NOT NULL,
    org_id bigint NOT NULL,
    org_path text NOT NULL,
    org_name text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    link text NOT NULL,
    -- Shown from this time on (a reminder's due time).
    visible_at timestamptz NOT NULL,
    read_at timestamptz,
    UNIQUE (event_id, recipient_user_id)
);
CREATE INDEX inbox_by_recipient ON inbox (recipient_user_id, seq DESC);
CREATE INDEX inbox_unread ON inbox (recipient_user_id) WHERE read_at IS NULL;

-- One message per (event, recipient, channel): duplicate events, retries and
-- restarts find this row and never make a second one. `state` moves
-- PENDING → SENDING → SUCCEEDED, or back to PENDING to retry, or to
-- FAILED_PERMANENTLY; SKIPPED rows were never to be sent.
CREATE TABLE deliveries (
    seq bigserial UNIQUE,
    delivery_id uuid PRIMARY KEY,
    event_id uuid NOT NULL REFERENCES events (event_id),
    kind integer NOT NULL,
    recipient_user_id text NOT NULL,
    channel integer NOT NULL CHECK (channel IN (2, 3)),
    destination text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    sms_template_code text NOT NULL,
    parameters jsonb NOT NULL,
    state text NOT NULL CHECK (state IN ('PENDING', 'SENDING', 'SUCCEEDED', 'FAILED_PERMANENTLY', 'SKIPPED')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    sending_since timestamptz,
    last_error text NOT NULL DEFAULT '',
    provider_message_id text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, recipient_user_id, channel)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX deliveries_sending ON deliveries (sending_since) WHERE state = 'SENDING';

-- 投递记录 — every attempt (and every skip), never changed once written.
CREATE TABLE delivery_attempts (
    seq bigserial UNIQUE,
    attempt_id uuid PRIMARY KEY,
    delivery_id uuid REFERENCES deliveries (delivery_id),
    event_id uuid NOT NULL REFERENCES events (event_id),
    kind integer NOT NULL,
    recipient_user_id text NOT NULL,
    channel integer NOT NULL,
    attempt_number integer NOT NULL,
    status integer NOT NULL CHECK (status BETWEEN 1 AND 4),
    error text NOT NULL DEFAULT '',
    destination_masked text NOT NULL DEFAULT '',
    provider_message_id text NOT NULL DEFAULT '',
    attempted_at timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz
);
CREATE INDEX attempts_by_event ON delivery_attempts (event_id);
CREATE INDEX attempts_by_recipient ON delivery_attempts (recipient_user_id);

-- 消息模板 — one per event kind and channel, kept by the department.
CREATE TABLE templates (
    kind integer NOT NULL CHECK (kind BETWEEN 1 AND 17),
    channel integer NOT NULL CHECK (channel BETWEEN 1 AND 3),
    subject text NOT NULL,
    body text NOT NULL,
    sms_template_code text NOT NULL DEFAULT '',
    enabled boolean NOT NULL DEFAULT true,
    version bigint NOT NULL DEFAULT 1,
    changed_by_id text NOT NULL DEFAULT '',
    changed_by_name text NOT NULL DEFAULT '',
    changed_at timestamptz NOT NULL DEFAULT now(),
    change_reason text NOT NULL DEFAULT '',
    PRIMARY KEY (kind, channel)
);

-- 联系方式与接收设置 — a user's own choices; without a row the identity
-- record's e-mail and mobile are used with every channel on.
CREATE TABLE preferences (
    user_id text PRIMARY KEY,
    email text,
    mobile text,
    channels integer[] NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    changed_by_id text NOT NULL DEFAULT '',
    changed_by_name text NOT NULL DEFAULT '',
    changed_at timestamptz NOT NULL DEFAULT now()
);

-- The Chinese templates, the same text on every channel to start with (the
-- department edits them); SMS codes are the provider's approved templates.
INSERT INTO templates (kind, channel, subject, body, sms_template_code, changed_by_name, change_reason)
SELECT seed.kind, channel, seed.subject, seed.body,
       CASE channel WHEN 3 THEN 'SMS_RELIEF_' || lpad(seed.kind::text, 2, '0') ELSE '' END,
       '系统', '初始模板'
FROM (VALUES
    (1, '待审核：{{ member_name }}的救助申请', '{{ org_name }}有一件困难党员救助申请待您审核（申请人：{{ member_name }}）。{% if deadline %}请于{{ deadline }}前办理。{% endif %}'),
    (2, '救助申请已退回补充材料', '您提交的救助申请已退回，请补充材料后重新提交。{% if reason %}退回原因：{{ reason }}。{% endif %}'),
    (3, '公示开始：{{ member_name }}', '{{ org_name }}关于{{ member_name }}的救助公示已开始{% if deadline %}，至{{ deadline }}结束{% endif %}。如有异议，请在公示期内提出。'),
    (4, '公示结束：{{ member_name }}', '{{ org_name }}关于{{ member_name }}的救助公示已结束。'),
    (5, '公示期间收到异议', '{{ org_name }}关于{{ member_name }}的救助公示收到异议，请及时核实处理。'),
    (6, '异议已处理', '{{ org_name }}关于{{ member_name }}的公示异议已处理{% if outcome %}：{{ outcome }}{% endif %}。'),
    (7, '救助审批决定', '工委会议已对{{ member_name }}的救助申请作出决定{% if outcome %}：{{ outcome }}{% endif %}。'),
    (8, '救助申请不予通过', '{{ member_name }}的救助申请经审核不予通过。{% if reason %}理由：{{ reason }}。{% endif %}'),
    (9, '救助资金已拨付', '{{ year }}年度救助资金{{ amount }}已拨付至{{ org_name }}，请及时发放并收取本人签字回执。'),
    (10, '救助资金已发放', '{{ org_name }}已发放救助资金{{ amount }}，请收取本人签字回执并登记。'),
    (11, '救助回执未登记', '{{ org_name }}有一笔{{ amount }}的救助资金发放超过时限仍无签字回执，请尽快补登。'),
    (12, '办理时限将到', '{{ org_name }}有一件救助申请的办理时限将于{{ deadline }}到期，请及时办理。'),
    (13, '办理已超期', '{{ org_name }}有一件救助申请已超过办理时限（{{ deadline }}），请尽快办理。'),
    (14, '{{ year }}年度困难党员核查开始', '{{ year }}年度市直机关困难党员核查工作已开始，请于{{ deadline }}前完成核查并报送。'),
    (15, '核查截止时间将到', '{{ year }}年度困难党员核查将于{{ deadline }}截止，{{ org_name }}尚未报送，请抓紧办理。'),
    (16, '核查已逾期', '{{ org_name }}未在{{ deadline }}前报送{{ year }}年度困难党员核查材料，请尽快报送。'),
    (17, '春节走访慰问提醒', '{{ year }}年春节为{{ festival_date }}，请在春节前完成困难党员走访慰问资金的审批和发放。')
) AS seed (kind, subject, body)
CROSS JOIN (VALUES (1), (2), (3)) AS channels (channel);
