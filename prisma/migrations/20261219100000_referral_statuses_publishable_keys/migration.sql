-- Referrals take Refgrow's conversion statuses (pending, converted, direct, direct_signup) and may have no
-- affiliate (a direct signup). Existing rows keep what they did: an active referral attributed payments and is now
-- pending (shown as converted once its affiliate has a purchase of that customer); an inactive one attributed
-- nothing and is now direct (its affiliate_id kept as a record).
-- AlterTable
ALTER TABLE "referrals" RENAME COLUMN "status" TO "conversion_status";
UPDATE "referrals" SET "conversion_status" = CASE WHEN "conversion_status" = 'inactive' THEN 'direct' ELSE 'pending' END;
ALTER TABLE "referrals" ALTER COLUMN "conversion_status" SET DEFAULT 'pending';
ALTER TABLE "referrals" ADD COLUMN "conversion_date" TIMESTAMPTZ(3);
ALTER TABLE "referrals" ALTER COLUMN "affiliate_id" DROP NOT NULL;

-- Publishable keys: a project's key for public endpoints (POST /api/track/conversion), safe to ship in a page, so
-- kept in clear for the merchant to read again; never accepted on /api/v1.
-- CreateTable
CREATE TABLE "publishable_keys" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "name" VARCHAR(200),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "publishable_keys_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "publishable_keys_key_key" ON "publishable_keys"("key");

-- CreateIndex
CREATE INDEX "publishable_keys_project_id_idx" ON "publishable_keys"("project_id");

-- AddForeignKey
ALTER TABLE "publishable_keys" ADD CONSTRAINT "publishable_keys_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
