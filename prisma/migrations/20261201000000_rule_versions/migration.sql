-- AlterTable
ALTER TABLE "conversions" ADD COLUMN     "rated_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "rule_versions" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "scope" VARCHAR(16) NOT NULL,
    "subject_id" VARCHAR(255) NOT NULL,
    "effective_from" TIMESTAMPTZ(3) NOT NULL,
    "effective_to" TIMESTAMPTZ(3) NOT NULL,
    "commission_type" VARCHAR(16),
    "commission_rate_bp" INTEGER,
    "commission_amount_minor" BIGINT,
    "commission_duration" VARCHAR(16),
    "commission_months" INTEGER,
    "status" VARCHAR(16),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "rule_versions_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "rule_versions_project_id_scope_subject_id_effective_to_key" ON "rule_versions"("project_id", "scope", "subject_id", "effective_to");

-- AddForeignKey
ALTER TABLE "rule_versions" ADD CONSTRAINT "rule_versions_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;
