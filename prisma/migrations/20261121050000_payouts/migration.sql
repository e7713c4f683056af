-- AlterTable
ALTER TABLE "affiliates" ADD COLUMN     "hold_days" INTEGER,
ADD COLUMN     "payout_details" JSONB,
ADD COLUMN     "payout_method" VARCHAR(16),
ADD COLUMN     "paypal_email" VARCHAR(320),
ADD COLUMN     "wise_email" VARCHAR(320);

-- AlterTable
ALTER TABLE "conversions" ADD COLUMN     "payout_id" UUID;

-- CreateTable
CREATE TABLE "payouts" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "method" VARCHAR(16) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'pending',
    "destination" JSONB,
    "reference" VARCHAR(255),
    "failure_reason" VARCHAR(500),
    "completed_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "payouts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "payouts_project_id_affiliate_id_created_at_idx" ON "payouts"("project_id", "affiliate_id", "created_at");

-- CreateIndex
CREATE INDEX "payouts_project_id_status_created_at_idx" ON "payouts"("project_id", "status", "created_at");

-- CreateIndex
CREATE INDEX "conversions_payout_id_idx" ON "conversions"("payout_id");

-- AddForeignKey
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_payout_id_fkey" FOREIGN KEY ("payout_id") REFERENCES "payouts"("id") ON DELETE NO ACTION ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
