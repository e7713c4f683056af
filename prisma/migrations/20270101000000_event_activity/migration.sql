-- The integrations' activity (GET /api/v1/integrations) counts each provider's events of the last 24 hours. Counted
-- from the inbox, that cost in proportion to them: about 200 ms at 100,000, a parallel scan holding every core
-- (issue 20, docs/performance.md). The inbox's statement triggers now also append, per statement, how many events
-- each project, provider and hour of receipt (UTC) gained or lost; the count is the sum of the window's whole hours
-- plus the rows of its first, partial hour, read from the activity index (src/api/integrations.ts). An event's
-- project, provider and time of receipt never change once stored, so no update moves it between hours. Folded like
-- row_counts (src/db/deltas.ts); the row_counts functions are extended rather than joined by more triggers, so the
-- receiver's insert fires one trigger as before.
CREATE TABLE "event_activity" (
    "id" BIGSERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "provider" VARCHAR(32) NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "event_activity_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "event_activity_project_id_provider_hour_idx" ON "event_activity"("project_id", "provider", "hour");

CREATE OR REPLACE FUNCTION row_counts_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'inbound_events', provider, status, count(*) FROM new_rows GROUP BY project_id, provider, status;
  INSERT INTO event_activity (project_id, provider, hour, n)
  SELECT project_id, lower(provider), date_trunc('hour', received_at, 'UTC'), count(*) FROM new_rows GROUP BY 1, 2, 3;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION row_counts_events_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'inbound_events', provider, status, -count(*) FROM old_rows GROUP BY project_id, provider, status;
  INSERT INTO event_activity (project_id, provider, hour, n)
  SELECT project_id, lower(provider), date_trunc('hour', received_at, 'UTC'), -count(*) FROM old_rows GROUP BY 1, 2, 3;
  RETURN NULL;
END $$;

-- TRUNCATE fires no delete trigger: the activity goes with the rows.
CREATE FUNCTION event_activity_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM event_activity;
  RETURN NULL;
END $$;

CREATE TRIGGER event_activity_truncated AFTER TRUNCATE ON inbound_events FOR EACH STATEMENT EXECUTE FUNCTION event_activity_truncated();

-- the events already stored
INSERT INTO event_activity (project_id, provider, hour, n)
SELECT project_id, lower(provider), date_trunc('hour', received_at, 'UTC'), count(*) FROM inbound_events GROUP BY 1, 2, 3;
