-- A Refresh whose answer was lost on the way can be asked again, with the same
-- request_id and the same (by then rotated) refresh token, for a few minutes.
-- The answer is sealed with a key derived from that refresh token, which only
-- the client holds: the table alone opens nothing.
CREATE TABLE refresh_replays (
    token_hash text NOT NULL,
    request_id text NOT NULL,
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_hash, request_id)
);
