-- CreateTable
CREATE TABLE "coupon_provider_ids" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "coupon_id" UUID NOT NULL,
    "provider" VARCHAR(32) NOT NULL,
    "provider_coupon_id" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "coupon_provider_ids_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "coupon_provider_ids_project_id_provider_provider_coupon_id_key" ON "coupon_provider_ids"("project_id", "provider", "provider_coupon_id");

-- CreateIndex
CREATE UNIQUE INDEX "coupon_provider_ids_coupon_id_provider_key" ON "coupon_provider_ids"("coupon_id", "provider");

-- AddForeignKey
ALTER TABLE "coupon_provider_ids" ADD CONSTRAINT "coupon_provider_ids_coupon_id_fkey" FOREIGN KEY ("coupon_id") REFERENCES "coupons"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Provider-specific ids move out of the coupon row: one row per provider, keyed by the provider's name.
INSERT INTO "coupon_provider_ids" ("project_id", "coupon_id", "provider", "provider_coupon_id")
SELECT "project_id", "id", p.provider, p.value
FROM "coupons",
     LATERAL (VALUES ('stripe', "stripe_coupon_id"), ('paddle', "paddle_discount_id"), ('polar', "polar_discount_id"),
                     ('lemonsqueezy', "lemonsqueezy_discount_code")) AS p(provider, value)
WHERE p.value IS NOT NULL;

-- DropIndex
DROP INDEX "coupons_project_id_stripe_coupon_id_key";

-- DropIndex
DROP INDEX "coupons_project_id_lemonsqueezy_discount_code_key";

-- DropIndex
DROP INDEX "coupons_project_id_paddle_discount_id_key";

-- DropIndex
DROP INDEX "coupons_project_id_polar_discount_id_key";

-- AlterTable
ALTER TABLE "coupons" DROP COLUMN "lemonsqueezy_discount_code",
DROP COLUMN "paddle_discount_id",
DROP COLUMN "polar_discount_id",
DROP COLUMN "stripe_coupon_id";
