-- Outbound payload formats (docs/webhooks.md): each endpoint records the format of its payloads, so a receiver
-- never sees them change shape. Endpoints that existed before keep the format they were sent ('refwire-v1');
-- endpoints created from now on default to Refgrow's documented payloads ('refgrow-v1').
-- AlterTable
ALTER TABLE "webhook_endpoints" ADD COLUMN     "payload_format" VARCHAR(32) NOT NULL DEFAULT 'refwire-v1';
ALTER TABLE "webhook_endpoints" ALTER COLUMN "payload_format" SET DEFAULT 'refgrow-v1';

-- AlterTable
ALTER TABLE "webhook_deliveries" ADD COLUMN     "payload_format" VARCHAR(32) NOT NULL DEFAULT 'refwire-v1';

-- referral.expired: when the sweep found a windowed signup's attribution window over (announced once).
-- AlterTable
ALTER TABLE "referrals" ADD COLUMN     "window_closed_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "referrals_window_closed_at_expires_at_idx" ON "referrals"("window_closed_at", "expires_at");
