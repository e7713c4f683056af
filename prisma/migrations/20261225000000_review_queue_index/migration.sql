-- The review queue (GET /api/v1/conversions?review=pending): the few rows waiting for a merchant's decision, newest
-- first, without reading the other 100,000 (a partial index holds only them).
CREATE INDEX "conversions_review_pending_idx" ON "conversions"("project_id", "occurred_at", "id") WHERE "review_status" = 'pending';
