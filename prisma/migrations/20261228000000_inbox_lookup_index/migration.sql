-- The integrations' activity (last event received, events and failures in the last 24 hours, per provider) read an
-- index on (project_id, provider, received_at). Its leading columns are two of the three of the inbox's unique key,
-- and the receiver's statement that finds the stored rows of repeated deliveries joins on all three: while the table
-- had no statistics (a young installation, a restore, the embedded mode), the planner took the smaller index for
-- that lookup and filtered the project's every event per delivery, so the ingest slowed as the table grew (issue 20,
-- docs/performance.md). Keyed on lower(provider), the activity index serves `lower(provider) = …` only, which no
-- statement of the inbox writes: the unique key is the one index that matches the lookup, whatever the estimates.
DROP INDEX "inbound_events_project_id_provider_received_at_idx";
CREATE INDEX "inbound_events_activity_idx" ON "inbound_events"("project_id", lower("provider"), "received_at");
