-- Funds' events move onto the runtime's generic transactional outbox
-- (event_outbox / event_deliveries, runtime migration 0002, which runs before
-- the service's own), delivered by the runtime's relay. What funds' own
-- outbox held — delivered or not — moves there as it was, the kind as its
-- name (e.g. ALLOCATION_CREATED), and funds' tables go.
INSERT INTO event_outbox (event_id, kind, payload, created_at)
SELECT event_id,
       CASE kind
           WHEN 1 THEN 'BUDGET_CHANGED'
           WHEN 2 THEN 'ALLOCATION_CREATED'
           WHEN 3 THEN 'DISBURSEMENT_RECORDED'
           WHEN 4 THEN 'RECEIPT_RECORDED'
           WHEN 5 THEN 'RECEIPT_MISSING'
           WHEN 6 THEN 'POSTING_REVERSED'
           ELSE 'UNSPECIFIED'
       END,
       payload,
       created_at
FROM outbox
ORDER BY seq
ON CONFLICT (event_id) DO NOTHING;

INSERT INTO event_deliveries (event_id, destination, attempts, next_attempt_at, last_error, delivered_at)
SELECT event_id, destination, attempts, next_attempt_at, last_error, delivered_at
FROM outbox_deliveries
ON CONFLICT (event_id, destination) DO NOTHING;

DROP TABLE outbox_deliveries;
DROP TABLE outbox;
