-- When a payout was approved (Refferq's payout.approved): a merchant's payout at its creation, an affiliate's request
-- when the merchant approves it, or completes it unapproved. Payouts made before are dated so: a completed
-- request was approved as it completed.
ALTER TABLE "payouts" ADD COLUMN "approved_at" TIMESTAMPTZ(3);
UPDATE "payouts" SET "approved_at" = "created_at" WHERE "requested_by" <> 'affiliate';
UPDATE "payouts" SET "approved_at" = "completed_at" WHERE "requested_by" = 'affiliate' AND "status" = 'completed';
