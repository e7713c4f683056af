-- The store a Lemon Squeezy integration's webhooks come from. Its API keys reach every store of their user, so
-- reconciliation reads this store's orders alone: another store's sales, another project's, never reach this one.
ALTER TABLE "integrations" ADD COLUMN "store_id" VARCHAR(64);
