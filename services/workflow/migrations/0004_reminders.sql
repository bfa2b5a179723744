-- 办理时限提醒 — the reminders of a case's state deadline already written to
-- the outbox, one per (case, stay in a state, kind): the stay is named by
-- when the case entered the state, so a case that comes back to a state is
-- reminded again, and one that stays is never reminded twice.
CREATE TABLE state_reminders (
    application_id   uuid        NOT NULL REFERENCES applications,
    state_entered_at timestamptz NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('approaching', 'missed')),
    sent_at          timestamptz NOT NULL,
    PRIMARY KEY (application_id, state_entered_at, kind)
);

-- The open cases by deadline: what the sweep reads each round.
CREATE INDEX applications_open_by_deadline ON applications (state_deadline)
    WHERE closed_at IS NULL AND state_deadline IS NOT NULL;

-- 春节走访慰问提醒 — the Spring Festivals whose window was announced.
CREATE TABLE festival_reminders (
    festival date        PRIMARY KEY,
    sent_at  timestamptz NOT NULL
);
