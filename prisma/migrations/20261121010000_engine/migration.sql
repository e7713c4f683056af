-- CreateTable
CREATE TABLE "affiliates" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "email" VARCHAR(320) NOT NULL,
    "name" VARCHAR(200),
    "referral_code" VARCHAR(64) NOT NULL,
    "referral_code_key" VARCHAR(64) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'active',
    "commission_type" VARCHAR(16),
    "commission_rate_bp" INTEGER,
    "commission_amount_minor" BIGINT,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "affiliates_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "referrals" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "email" VARCHAR(320) NOT NULL,
    "status" VARCHAR(16) NOT NULL DEFAULT 'active',
    "source" VARCHAR(32) NOT NULL DEFAULT 'api',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "referrals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "coupons" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "coupon_code" VARCHAR(100) NOT NULL,
    "coupon_code_key" VARCHAR(100) NOT NULL,
    "stripe_coupon_id" VARCHAR(255),
    "lemonsqueezy_discount_code" VARCHAR(255),
    "paddle_discount_id" VARCHAR(255),
    "polar_discount_id" VARCHAR(255),
    "status" VARCHAR(16) NOT NULL DEFAULT 'active',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "coupons_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_rules" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "product_id" VARCHAR(255) NOT NULL,
    "name" VARCHAR(200),
    "commission_type" VARCHAR(16) NOT NULL,
    "commission_rate_bp" INTEGER,
    "commission_amount_minor" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "product_rules_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "attribution_subjects" (
    "project_id" UUID NOT NULL,
    "provider" VARCHAR(32) NOT NULL,
    "subject_type" VARCHAR(16) NOT NULL,
    "subject_id" VARCHAR(255) NOT NULL,
    "hints" JSONB NOT NULL,
    "customer_id" VARCHAR(255),
    "email" VARCHAR(320),
    "affiliate_id" UUID,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "attribution_subjects_pkey" PRIMARY KEY ("project_id","provider","subject_type","subject_id")
);

-- CreateTable
CREATE TABLE "payment_aliases" (
    "project_id" UUID NOT NULL,
    "provider" VARCHAR(32) NOT NULL,
    "alias" VARCHAR(255) NOT NULL,
    "payment_key" VARCHAR(255) NOT NULL,

    CONSTRAINT "payment_aliases_pkey" PRIMARY KEY ("project_id","provider","alias")
);

-- CreateTable
CREATE TABLE "refund_observations" (
    "project_id" UUID NOT NULL,
    "provider" VARCHAR(32) NOT NULL,
    "payment_ref" VARCHAR(255) NOT NULL,
    "observation_key" VARCHAR(255) NOT NULL,
    "cumulative" BOOLEAN NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "refund_observations_pkey" PRIMARY KEY ("project_id","provider","payment_ref","observation_key")
);

-- CreateTable
CREATE TABLE "conversions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID,
    "kind" VARCHAR(16) NOT NULL,
    "provider" VARCHAR(32),
    "external_key" VARCHAR(600),
    "payment_key" VARCHAR(255),
    "reverses_id" UUID,
    "customer_key" VARCHAR(300),
    "customer_id" VARCHAR(255),
    "customer_email" VARCHAR(320),
    "subscription_id" VARCHAR(255),
    "product_ids" TEXT[],
    "hints" JSONB,
    "currency" CHAR(3) NOT NULL,
    "amount_minor" BIGINT NOT NULL,
    "tax_minor" BIGINT NOT NULL DEFAULT 0,
    "base_value_minor" BIGINT NOT NULL,
    "value_minor" BIGINT NOT NULL,
    "refund_level_minor" BIGINT,
    "reason" VARCHAR(64),
    "rule_source" VARCHAR(16),
    "attribution" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "hold_until" TIMESTAMPTZ(3),
    "paid_at" TIMESTAMPTZ(3),
    "inbound_event_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "conversions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "affiliates_project_id_email_key" ON "affiliates"("project_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "affiliates_project_id_referral_code_key_key" ON "affiliates"("project_id", "referral_code_key");

-- CreateIndex
CREATE INDEX "referrals_affiliate_id_idx" ON "referrals"("affiliate_id");

-- CreateIndex
CREATE UNIQUE INDEX "referrals_project_id_email_key" ON "referrals"("project_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_project_id_coupon_code_key_key" ON "coupons"("project_id", "coupon_code_key");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_project_id_stripe_coupon_id_key" ON "coupons"("project_id", "stripe_coupon_id");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_project_id_lemonsqueezy_discount_code_key" ON "coupons"("project_id", "lemonsqueezy_discount_code");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_project_id_paddle_discount_id_key" ON "coupons"("project_id", "paddle_discount_id");

-- CreateIndex
CREATE UNIQUE INDEX "coupons_project_id_polar_discount_id_key" ON "coupons"("project_id", "polar_discount_id");

-- CreateIndex
CREATE UNIQUE INDEX "product_rules_project_id_product_id_key" ON "product_rules"("project_id", "product_id");

-- CreateIndex
CREATE INDEX "conversions_project_id_affiliate_id_occurred_at_idx" ON "conversions"("project_id", "affiliate_id", "occurred_at");

-- CreateIndex
CREATE INDEX "conversions_project_id_customer_key_idx" ON "conversions"("project_id", "customer_key");

-- CreateIndex
CREATE INDEX "conversions_project_id_customer_email_idx" ON "conversions"("project_id", "customer_email");

-- CreateIndex
CREATE UNIQUE INDEX "conversions_project_id_external_key_key" ON "conversions"("project_id", "external_key");

-- AddForeignKey
ALTER TABLE "affiliates" ADD CONSTRAINT "affiliates_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "coupons" ADD CONSTRAINT "coupons_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_rules" ADD CONSTRAINT "product_rules_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "attribution_subjects" ADD CONSTRAINT "attribution_subjects_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "payment_aliases" ADD CONSTRAINT "payment_aliases_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refund_observations" ADD CONSTRAINT "refund_observations_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "conversions" ADD CONSTRAINT "conversions_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE SET NULL ON UPDATE CASCADE;
