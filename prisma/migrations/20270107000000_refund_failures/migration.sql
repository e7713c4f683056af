-- A refund that did not go through after all (Stripe: failed or canceled) is kept beside the refund's own report,
-- under the key "failed:<refund id>", with when the refund was created: the cumulative totals reported since then
-- included it (src/commission/reversal.ts). NULL on every other observation.
ALTER TABLE "refund_observations" ADD COLUMN "failed_since" TIMESTAMPTZ(3);
