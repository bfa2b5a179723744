-- 帮扶情况: relief a member received, on their register row (issue 9). The
-- workflow service's principal records one entry per paid disbursement when
-- its signed receipt comes in; the management register shows them. Like
-- everything here, never deleted.
CREATE TABLE relief_received (
    entry_id          uuid PRIMARY KEY,
    record_id         uuid NOT NULL REFERENCES records (record_id),
    year              integer NOT NULL CHECK (year BETWEEN 1990 AND 2200),
    relief_type       text NOT NULL CHECK (relief_type IN ('one_time_relief', 'spring_festival_visit')),
    amount_fen        bigint NOT NULL CHECK (amount_fen > 0),
    voucher_number    text NOT NULL DEFAULT '',
    disbursement_id   text NOT NULL,
    received_on       date NOT NULL,
    recorded_by_id    text NOT NULL,
    recorded_by_name  text NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    -- One disbursement is received once.
    CONSTRAINT relief_received_one_per_disbursement UNIQUE (disbursement_id)
);
CREATE INDEX relief_received_record ON relief_received (record_id, year, received_on);
