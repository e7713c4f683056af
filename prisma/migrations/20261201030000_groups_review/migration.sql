-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "commission_review" VARCHAR(16) NOT NULL DEFAULT 'auto';

-- AlterTable
ALTER TABLE "affiliates" ADD COLUMN     "group_id" UUID,
ADD COLUMN     "status_reason" VARCHAR(500);

-- AlterTable
ALTER TABLE "conversions" ADD COLUMN     "review_reason" VARCHAR(500),
ADD COLUMN     "review_status" VARCHAR(16),
ADD COLUMN     "reviewed_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "rule_versions" ADD COLUMN     "group_id" UUID,
ADD COLUMN     "hold_days" INTEGER;

-- CreateTable
CREATE TABLE "affiliate_groups" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "commission_type" VARCHAR(16),
    "commission_rate_bp" INTEGER,
    "commission_amount_minor" BIGINT,
    "commission_duration" VARCHAR(16),
    "commission_months" INTEGER,
    "hold_days" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "affiliate_groups_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "affiliate_groups_project_id_name_key" ON "affiliate_groups"("project_id", "name");

-- AddForeignKey
ALTER TABLE "affiliates" ADD CONSTRAINT "affiliates_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "affiliate_groups"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "affiliate_groups" ADD CONSTRAINT "affiliate_groups_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
