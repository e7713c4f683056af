-- Exact row counts for the `total` of the event log's and the conversions' offset pages, without counting every
-- row on each request (issue 20). Triggers append a signed delta per statement, grouped by the filters a count can
-- be asked for (events: provider and status; conversions: kind); the total is the sum of a project's deltas, which
-- src/db/row-counts.ts folds into one row per key from time to time. Appending rather than updating one counter row
-- means concurrent receivers and workers never wait on each other's counter.
CREATE TABLE "row_counts" (
    "id" BIGSERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "table_name" VARCHAR(32) NOT NULL,
    "key_a" VARCHAR(64) NOT NULL,
    "key_b" VARCHAR(64) NOT NULL,
    "n" BIGINT NOT NULL,

    CONSTRAINT "row_counts_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "row_counts_project_id_table_name_idx" ON "row_counts"("project_id", "table_name");

-- A trigger's transition tables are only the ones its event has (an insert has no old rows), so each event has its
-- own function.
CREATE FUNCTION row_counts_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'inbound_events', provider, status, count(*) FROM new_rows GROUP BY project_id, provider, status;
  RETURN NULL;
END $$;

CREATE FUNCTION row_counts_events_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'inbound_events', provider, status, -count(*) FROM old_rows GROUP BY project_id, provider, status;
  RETURN NULL;
END $$;

-- An event's status changes as it is processed, a batch at a time: one delta per key the batch moved between.
CREATE FUNCTION row_counts_events_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT d.project_id, 'inbound_events', d.provider, d.status, sum(d.n)
  FROM (
    SELECT project_id, provider, status, 1 AS n FROM new_rows
    UNION ALL
    SELECT project_id, provider, status, -1 AS n FROM old_rows
  ) d
  GROUP BY d.project_id, d.provider, d.status
  HAVING sum(d.n) <> 0;
  RETURN NULL;
END $$;

CREATE FUNCTION row_counts_conversions_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'conversions', kind, '', count(*) FROM new_rows GROUP BY project_id, kind;
  RETURN NULL;
END $$;

CREATE FUNCTION row_counts_conversions_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  SELECT project_id, 'conversions', kind, '', -count(*) FROM old_rows GROUP BY project_id, kind;
  RETURN NULL;
END $$;

-- A conversion's kind and project never change today; should an update ever change them, the row moves between keys.
-- A row trigger on those columns alone, so the ledger's batch updates (which set neither) never fire it.
CREATE FUNCTION row_counts_conversion_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
  VALUES (OLD.project_id, 'conversions', OLD.kind, '', -1), (NEW.project_id, 'conversions', NEW.kind, '', 1);
  RETURN NULL;
END $$;

-- TRUNCATE fires no delete trigger: the table's counts go with its rows.
CREATE FUNCTION row_counts_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM row_counts WHERE table_name = TG_TABLE_NAME;
  RETURN NULL;
END $$;

CREATE TRIGGER row_counts_inserted AFTER INSERT ON inbound_events REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_events_inserted();
CREATE TRIGGER row_counts_updated AFTER UPDATE ON inbound_events REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_events_updated();
CREATE TRIGGER row_counts_deleted AFTER DELETE ON inbound_events REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_events_deleted();
CREATE TRIGGER row_counts_truncated AFTER TRUNCATE ON inbound_events FOR EACH STATEMENT EXECUTE FUNCTION row_counts_truncated();

CREATE TRIGGER row_counts_inserted AFTER INSERT ON conversions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_conversions_inserted();
CREATE TRIGGER row_counts_moved AFTER UPDATE OF kind, project_id ON conversions FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind OR OLD.project_id IS DISTINCT FROM NEW.project_id) EXECUTE FUNCTION row_counts_conversion_moved();
CREATE TRIGGER row_counts_deleted AFTER DELETE ON conversions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION row_counts_conversions_deleted();
CREATE TRIGGER row_counts_truncated AFTER TRUNCATE ON conversions FOR EACH STATEMENT EXECUTE FUNCTION row_counts_truncated();

-- the rows already stored
INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
SELECT project_id, 'inbound_events', provider, status, count(*) FROM inbound_events GROUP BY project_id, provider, status;
INSERT INTO row_counts (project_id, table_name, key_a, key_b, n)
SELECT project_id, 'conversions', kind, '', count(*) FROM conversions GROUP BY project_id, kind;
