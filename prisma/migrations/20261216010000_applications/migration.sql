-- AlterTable
ALTER TABLE "projects" ADD COLUMN     "auto_approve" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "notification_email" VARCHAR(320);

-- CreateTable
CREATE TABLE "affiliate_applications" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "project_id" UUID NOT NULL,
    "email" VARCHAR(320) NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "website" VARCHAR(2048),
    "message" VARCHAR(2000),
    "flags" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "address_hash" VARCHAR(64),
    "status" VARCHAR(16) NOT NULL DEFAULT 'unverified',
    "affiliate_id" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "verified_at" TIMESTAMPTZ(3),

    CONSTRAINT "affiliate_applications_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "affiliate_applications_project_id_email_idx" ON "affiliate_applications"("project_id", "email");

-- CreateIndex
CREATE INDEX "affiliate_applications_project_id_address_hash_idx" ON "affiliate_applications"("project_id", "address_hash");

-- CreateIndex
CREATE INDEX "affiliate_applications_project_id_created_at_idx" ON "affiliate_applications"("project_id", "created_at");

-- AddForeignKey
ALTER TABLE "affiliate_applications" ADD CONSTRAINT "affiliate_applications_project_id_fkey" FOREIGN KEY ("project_id") REFERENCES "projects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "affiliate_applications" ADD CONSTRAINT "affiliate_applications_affiliate_id_fkey" FOREIGN KEY ("affiliate_id") REFERENCES "affiliates"("id") ON DELETE SET NULL ON UPDATE CASCADE;
