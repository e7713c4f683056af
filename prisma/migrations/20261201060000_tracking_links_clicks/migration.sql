-- Tracking links, dated clicks and the attribution window (issue 15 items 4, 5 and 9).

-- AlterTable: the hosts a tracking link may send visitors to, and how long click rows are kept
ALTER TABLE "projects" ADD COLUMN     "allowed_domains" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "click_retention_days" INTEGER NOT NULL DEFAULT 395;

-- AlterTable: a public signup's window is fixed when it is recorded; the click and link it came through.
-- Referrals recorded before this migration keep expires_at NULL: not windowed (rules are not retroactive).
ALTER TABLE "referrals" ADD COLUMN     "expires_at" TIMESTAMPTZ(3),
ADD COLUMN     "click_id" UUID,
ADD COLUMN     "link_id" UUID;

-- CreateTable
CREATE TABLE "tracking_links" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "slug" VARCHAR(64) NOT NULL,
    "slug_key" VARCHAR(64) NOT NULL,
    "target_url" VARCHAR(2048) NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "clicks" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tracking_links_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "clicks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "link_id" UUID,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "source" VARCHAR(16) NOT NULL,
    "landing_url" VARCHAR(4096),
    "referrer" VARCHAR(4096),
    "visitor_hash" CHAR(64) NOT NULL,

    CONSTRAINT "clicks_pkey" PRIMARY KEY ("id")
);

-- CreateIndex: /r/:slug has no project in it, so a slug is unique in the whole installation
CREATE UNIQUE INDEX "tracking_links_slug_key_key" ON "tracking_links"("slug_key");

-- CreateIndex
CREATE INDEX "tracking_links_affiliate_id_created_at_idx" ON "tracking_links"("affiliate_id", "created_at");

-- CreateIndex: daily reports, the summary's clicks of a period, the retention sweep
CREATE INDEX "clicks_project_id_occurred_at_idx" ON "clicks"("project_id", "occurred_at");

-- CreateIndex: one affiliate's clicks by day
CREATE INDEX "clicks_project_id_affiliate_id_occurred_at_idx" ON "clicks"("project_id", "affiliate_id", "occurred_at");

-- CreateIndex
CREATE INDEX "clicks_link_id_idx" ON "clicks"("link_id");

-- CreateIndex
CREATE INDEX "referrals_link_id_idx" ON "referrals"("link_id");

-- CreateIndex: the project's conversions by time (daily reports, the summary of a period)
CREATE INDEX "conversions_project_id_occurred_at_idx" ON "conversions"("project_id", "occurred_at");

-- AddForeignKey
ALTER TABLE "referrals" ADD CONSTRAINT "referrals_link_id_fkey" FOREIGN KEY ("link_id") REFERENCES "tracking_links"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tracking_links" ADD CONSTRAINT "tracking_links_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "clicks" ADD CONSTRAINT "clicks_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "clicks" ADD CONSTRAINT "clicks_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "clicks" ADD CONSTRAINT "clicks_link_id_fkey" FOREIGN KEY ("link_id") REFERENCES "tracking_links"("id") ON DELETE SET NULL ON UPDATE CASCADE;
