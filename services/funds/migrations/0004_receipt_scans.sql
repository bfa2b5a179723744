-- A receipt's scan is one paper signed by one member for one payment: a scan
-- already on another receipt is refused (RECEIPT_SCAN_REUSED). The service
-- decides that under a lock per scan; this index finds the earlier receipt.
-- (Not a unique index: receipts recorded before the rule may share a scan,
-- and they stay as they were booked.)
CREATE INDEX receipts_scan ON receipts (lower(scan_sha256));
