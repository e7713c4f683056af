-- Indexes for the batch path's lookups (docs/performance.md): a recompute reads the ids of its payments by
-- payment key, and the affiliate directory reads affiliates by referral code. Neither starts with project_id:
-- each lookup probes the one index holding its key, and tests the project outside it, so the planner of a table
-- without statistics cannot mistake another index starting with project_id for it and read the whole project.
-- CreateIndex
CREATE INDEX "payment_aliases_payment_key_idx" ON "payment_aliases"("payment_key");

-- CreateIndex
CREATE INDEX "affiliates_referral_code_key_idx" ON "affiliates"("referral_code_key");
