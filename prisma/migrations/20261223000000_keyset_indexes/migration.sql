-- Keyset pagination (`cursor` on GET /api/v1/conversions and /api/v1/events) seeks to (time, id): with the id in
-- the index, rows sharing the cursor's instant are reached by index too, instead of being scanned and filtered.
-- The new indexes serve every query the old ones did (same leading columns), so they replace them.
DROP INDEX "conversions_project_id_occurred_at_idx";
CREATE INDEX "conversions_project_id_occurred_at_id_idx" ON "conversions"("project_id", "occurred_at", "id");

DROP INDEX "inbound_events_project_id_received_at_idx";
CREATE INDEX "inbound_events_project_id_received_at_id_idx" ON "inbound_events"("project_id", "received_at", "id");
