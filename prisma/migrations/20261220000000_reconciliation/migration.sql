-- Reconciliation (issue 19): each integration with an API key keeps how far its provider's history was read, when
-- to read it next (the schedule, or a failure's backoff) and the last failure; inbox rows say whether a webhook
-- brought them or reconciliation recovered them.
-- AlterTable
ALTER TABLE "integrations" ADD COLUMN     "reconciled_through" TIMESTAMPTZ(3),
ADD COLUMN     "reconcile_next_at" TIMESTAMPTZ(3),
ADD COLUMN     "reconcile_failures" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reconcile_error" TEXT;

-- AlterTable
ALTER TABLE "inbound_events" ADD COLUMN     "origin" VARCHAR(16) NOT NULL DEFAULT 'webhook';
