-- reverses_id is set on refund rows only and payout_id once a row is paid out: every payment is written with both
-- null, and a B-tree keeps an entry for each null. Every conversion inserted, and every payment the recompute
-- updates (a new row version, whose entries go into every index), paid for two index entries that no lookup reads:
-- each lookup is `reverses_id = …` or `payout_id = …` (and the foreign keys' checks the same), which a null never
-- matches. Partial indexes hold only the rows that have a value.
DROP INDEX "conversions_reverses_id_idx";
CREATE INDEX "conversions_reverses_id_idx" ON "conversions"("reverses_id") WHERE "reverses_id" IS NOT NULL;
DROP INDEX "conversions_payout_id_idx";
CREATE INDEX "conversions_payout_id_idx" ON "conversions"("payout_id") WHERE "payout_id" IS NOT NULL;

-- The sweeps that find work (src/inbox/inbound-events.ts: waiting rows, stale claims, failed rows to replay) look
-- for received, processing and failed rows, a handful at any time; every processed or ignored row kept an entry
-- here for ever, and every finished event wrote one more. Partial, the index holds only the rows a sweep can want.
DROP INDEX "inbound_events_status_received_at_idx";
CREATE INDEX "inbound_events_status_received_at_idx" ON "inbound_events"("status", "received_at") WHERE "status" IN ('received', 'processing', 'failed');
