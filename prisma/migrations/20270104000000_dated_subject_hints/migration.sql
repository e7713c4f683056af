-- Hints a subject (a subscription, a customer) learned at a time: a coupon applied weeks after the first payment,
-- a renewal's own metadata, a customer's next checkout. They reach only payments at or after that time
-- (src/ledger/hints.ts#DatedHints), so a later fact never moves a commission already recorded. Rows written before
-- keep what they learned in "hints", which reaches every payment, as it did.
ALTER TABLE "attribution_subjects" ADD COLUMN "dated_hints" JSONB NOT NULL DEFAULT '[]';
