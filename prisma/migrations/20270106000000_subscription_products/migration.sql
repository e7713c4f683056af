-- The products a subscription was on, from when: [{ "at": ISO time, "ids": [product, variant] }]. Lemon Squeezy's
-- renewals name no product, its subscription events do; a renewal is rated by the product rule of what its
-- subscription was on when it was paid (src/ledger/subscription-products.ts). Rows written before have none, and
-- their renewals keep the rules they were rated with until a subscription event of theirs arrives.
ALTER TABLE "attribution_subjects" ADD COLUMN "product_ids" JSONB NOT NULL DEFAULT '[]';
