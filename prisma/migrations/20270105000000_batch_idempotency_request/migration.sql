-- What a batch made with an Idempotency-Key was asked for (a SHA-256 of its currency, minimum and affiliates): the
-- same key with another request is refused rather than answered with a batch made for something else. Batches made
-- before have none, and any request with their key is answered with them, as it was.
ALTER TABLE "payout_batches" ADD COLUMN "idempotency_request" CHAR(64);
