-- A Paddle chargeback is money taken outside refunds, kept as a withdrawal from now on (src/providers/paddle): what a
-- chargeback_reverse gives back is bounded by the withdrawals before it (src/commission/reversal.ts). The chargebacks
-- already observed, kept as plain refunds, become withdrawals too, so a reversal of one still gives its money back.
-- Their events are found by the adjustment's action in the stored body (escape-encoded: any bytes read as text).
UPDATE refund_observations o
SET withdrawal = true
FROM inbound_events e
WHERE o.provider = 'paddle'
  AND NOT o.withdrawal
  AND o.amount_minor > 0
  AND o.failed_since IS NULL
  AND e.id = o.inbound_event_id
  AND e.event_type IN ('adjustment.created', 'adjustment.updated')
  AND encode(e.raw_body, 'escape') ~ '"action"\s*:\s*"chargeback"';
