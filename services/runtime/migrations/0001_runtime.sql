-- The runtime's own tables in every service's schema: idempotency keys and
-- the audit chain. Schemas created before these migrations existed have them
-- already (they were created at start-up), hence IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS idempotency_keys (
    request_id   text PRIMARY KEY,
    method       text NOT NULL,
    request_hash text NOT NULL,
    response     bytea,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS audit_chain (
    seq         bigint PRIMARY KEY,
    at          text NOT NULL,
    actor_id    text NOT NULL,
    actor_name  text NOT NULL,
    action      text NOT NULL,
    resource    text NOT NULL,
    change_json text NOT NULL,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_chain_resource ON audit_chain (resource, seq);
