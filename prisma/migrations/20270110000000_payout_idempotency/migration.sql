-- POST /api/v1/payouts and the portal's payout request take an Idempotency-Key, as payout batches do: a retry with
-- the key answers the payout the first request made (src/ledger/payouts.ts), and the key with another request is
-- refused. The unique index makes two requests with one key one payout.
ALTER TABLE "payouts" ADD COLUMN "idempotency_key" VARCHAR(255);
ALTER TABLE "payouts" ADD COLUMN "idempotency_request" CHAR(64);
CREATE UNIQUE INDEX "payouts_project_id_idempotency_key_key" ON "payouts"("project_id", "idempotency_key");
