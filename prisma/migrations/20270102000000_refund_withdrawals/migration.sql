-- Money a payment lost outside refunds (a lost dispute). A provider's cumulative refunded total (Stripe's
-- amount_refunded) never includes it, so the refunded total adds it to the refunds instead of taking the larger.
ALTER TABLE "refund_observations" ADD COLUMN "withdrawal" BOOLEAN NOT NULL DEFAULT false;
-- The event that first reported the refund: the refund row a new level creates names it, so the event's detail
-- lists the conversions it made, as a payment event's does.
ALTER TABLE "refund_observations" ADD COLUMN "inbound_event_id" UUID;
-- Lost Stripe disputes already recorded (keyed by the dispute id, dp_… or the older du_…). A payment whose
-- dispute was absorbed into a charge.refunded total is reversed short until its customer is recomputed:
-- ledger/verify lists it, and replaying its dispute event counts the rest.
UPDATE "refund_observations" SET "withdrawal" = true
WHERE "provider" = 'stripe' AND NOT "cumulative" AND ("observation_key" LIKE 'dp\_%' OR "observation_key" LIKE 'du\_%');
