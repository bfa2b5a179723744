-- The transactional outbox: an event per state change, written in the
-- change's transaction; one delivery row per destination, retried until the
-- destination accepts it. Delivered rows are kept: they are the record of
-- what was told to whom.
CREATE TABLE event_outbox (
    event_id   uuid PRIMARY KEY,
    seq        bigserial UNIQUE,
    -- What the event tells, e.g. ALLOCATION_CREATED (for operations).
    kind       text NOT NULL,
    -- The event message (protobuf).
    payload    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_deliveries (
    event_id        uuid NOT NULL REFERENCES event_outbox (event_id),
    -- A peer service by name, e.g. notify.
    destination     text NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    delivered_at    timestamptz,
    PRIMARY KEY (event_id, destination)
);
CREATE INDEX event_deliveries_due ON event_deliveries (destination, next_attempt_at)
    WHERE delivered_at IS NULL;
