-- The gateway's identity store: users, role bindings on organisation nodes,
-- refresh tokens (hashed), and the log of every login, failure and lock.

CREATE TABLE users (
    user_id              uuid PRIMARY KEY,
    login_name           text NOT NULL UNIQUE,
    display_name         text NOT NULL,
    email                text NOT NULL DEFAULT '',
    mobile               text NOT NULL DEFAULT '',
    member_id            text,
    enabled              boolean NOT NULL DEFAULT true,
    disabled_reason      text NOT NULL DEFAULT '',
    -- argon2id PHC string; never the password.
    password_hash        text NOT NULL,
    must_change_password boolean NOT NULL DEFAULT false,
    failed_logins        integer NOT NULL DEFAULT 0,
    locked_until         timestamptz,
    last_login_at        timestamptz,
    password_changed_at  timestamptz NOT NULL DEFAULT now(),
    version              bigint NOT NULL DEFAULT 1,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE role_bindings (
    role_binding_id uuid PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (user_id),
    role            text NOT NULL,
    org_id          bigint NOT NULL,
    org_path        text NOT NULL,
    org_name        text NOT NULL DEFAULT '',
    granted_by_id   text NOT NULL,
    granted_by_name text NOT NULL,
    reason          text NOT NULL DEFAULT '',
    granted_at      timestamptz NOT NULL DEFAULT now(),
    -- Revoked bindings stay, so who had which rights when stays visible.
    revoked_at      timestamptz
);
CREATE UNIQUE INDEX role_bindings_live ON role_bindings (user_id, role, org_id) WHERE revoked_at IS NULL;
CREATE INDEX role_bindings_path ON role_bindings (org_path text_pattern_ops);

CREATE TABLE refresh_tokens (
    -- SHA-256 of the token; the token itself is only ever with the client.
    token_hash  text PRIMARY KEY,
    session_id  uuid NOT NULL,
    user_id     uuid NOT NULL REFERENCES users (user_id),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when rotated (replaced) or revoked (logout, reuse detected).
    revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE login_events (
    event_id   bigserial PRIMARY KEY,
    login_name text NOT NULL,
    user_id    uuid,
    kind       text NOT NULL,
    address    text NOT NULL DEFAULT '',
    detail     text NOT NULL DEFAULT '',
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_events_login ON login_events (login_name, event_id);
