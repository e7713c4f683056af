-- The affiliates a payout batch left out and why, as its first answer listed them: a retry with its Idempotency-Key
-- answers them again (src/ledger/payout-batches.ts). Batches made before have none recorded.
ALTER TABLE "payout_batches" ADD COLUMN "skipped" JSONB NOT NULL DEFAULT '[]';
