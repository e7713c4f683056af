-- Money a payment lost outside refunds (a lost dispute). A provider's cumulative refunded total (Stripe's
-- amount_refunded) never includes it, so the refunded total adds it to the refunds instead of taking the larger.
ALTER TABLE "refund_observations" ADD COLUMN "withdrawal" BOOLEAN NOT NULL DEFAULT false;
