-- Raw bodies compressed with LZ4 rather than pglz where the server has it: a ~3 KB Stripe body is over the row's
-- compression threshold, and pglz spent about a sixth of PostgreSQL's CPU per stored delivery (docs/performance.md).
-- New values only; stored bodies keep pglz, which every server reads. A server built without LZ4 (PGlite is one)
-- keeps pglz.
DO $$
BEGIN
  ALTER TABLE "inbound_events" ALTER COLUMN "raw_body" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;
