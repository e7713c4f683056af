-- A failed attempt waits out its backoff: the sweeps skip the row until retry_at.
-- AlterTable
ALTER TABLE "inbound_events" ADD COLUMN     "retry_at" TIMESTAMPTZ(3);
