-- Allocations and disbursements change state after they are made (payment,
-- receipt, reversal), so each carries a version, its etag: every change of
-- state increments it, and a change asked for on a stale read is refused.
ALTER TABLE allocations ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version > 0);
ALTER TABLE disbursements ADD COLUMN version bigint NOT NULL DEFAULT 1 CHECK (version > 0);
