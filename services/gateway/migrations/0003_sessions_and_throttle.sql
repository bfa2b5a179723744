-- Who created a user: before a user holds any role, their creator (and the
-- administrators of the whole tree) administer them.
ALTER TABLE users ADD COLUMN created_by text;

-- Sessions ended (logout, disabling, a password reset, a reused refresh
-- token). Access tokens name their session; every gateway replica keeps the
-- sessions ended within an access token's lifetime in memory, refreshed from
-- here every few seconds, and refuses their tokens.
CREATE TABLE ended_sessions (
    session_id uuid PRIMARY KEY,
    user_id    uuid NOT NULL,
    ended_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ended_sessions_at ON ended_sessions (ended_at);

-- Failed logins per login name and client address: a run of failures locks
-- that name for that address only, so nobody elsewhere can lock a user out.
-- Unknown names are counted alike, so a lock tells nothing about a name.
CREATE TABLE login_throttle (
    login_name   text NOT NULL,
    address      text NOT NULL,
    failures     integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (login_name, address)
);
CREATE INDEX login_throttle_updated ON login_throttle (updated_at);
