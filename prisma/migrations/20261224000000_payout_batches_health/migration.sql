-- Payout batches (POST /api/v1/payout-batches): one row per "process payouts" run, its payouts point at it.
CREATE TABLE "payout_batches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "created_by" JSONB NOT NULL,
    "currencies" TEXT[],
    "payouts_count" INTEGER NOT NULL,
    "totals" JSONB NOT NULL,
    "minimum_minor" BIGINT,
    "minimum_currency" CHAR(3),
    "idempotency_key" VARCHAR(255),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payout_batches_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "payout_batches_project_id_idempotency_key_key" ON "payout_batches"("project_id", "idempotency_key");
CREATE INDEX "payout_batches_project_id_created_at_idx" ON "payout_batches"("project_id", "created_at");
ALTER TABLE "payout_batches" ADD CONSTRAINT "payout_batches_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

ALTER TABLE "payouts" ADD COLUMN "batch_id" UUID;
CREATE INDEX "payouts_batch_id_idx" ON "payouts"("batch_id");
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "payout_batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Integrations' status (last event, events and failures of the last 24 hours per provider) and the overview's
-- health (failed events, failing outbound deliveries) read index ranges instead of the project's whole history.
CREATE INDEX "inbound_events_project_id_provider_received_at_idx" ON "inbound_events"("project_id", "provider", "received_at");
CREATE INDEX "inbound_events_project_id_status_received_at_idx" ON "inbound_events"("project_id", "status", "received_at");
CREATE INDEX "webhook_deliveries_project_id_status_updated_at_idx" ON "webhook_deliveries"("project_id", "status", "updated_at");
