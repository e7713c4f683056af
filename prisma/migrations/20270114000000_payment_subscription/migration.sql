-- A payment that names no subscription (a Lemon Squeezy order) learns which subscription it began from that
-- subscription's own events, so the ledger can tell it from a later subscription's first payment.
ALTER TABLE "attribution_subjects" ADD COLUMN "subscription_id" VARCHAR(255);
