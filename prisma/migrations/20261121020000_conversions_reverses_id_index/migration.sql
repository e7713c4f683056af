-- Refund rows are read by the payment they reverse on every recompute.
-- CreateIndex
CREATE INDEX "conversions_reverses_id_idx" ON "conversions"("reverses_id");
