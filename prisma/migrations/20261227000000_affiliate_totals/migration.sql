-- What the program summary reports for all time, kept per affiliate and currency instead of summed over every
-- conversion on each request (issue 20). Like row_counts: triggers append signed deltas in the statement's own
-- transaction, so concurrent workers never wait on a shared counter, and src/db/deltas.ts folds them. Only
-- attributed rows count (the summary's scope). `ledger/verify` checks the sums against the conversions.
CREATE TABLE "affiliate_totals" (
    "id" BIGSERIAL NOT NULL,
    "project_id" UUID NOT NULL,
    "affiliate_id" UUID NOT NULL,
    "currency" CHAR(3) NOT NULL,
    "signups" BIGINT NOT NULL,
    "purchases" BIGINT NOT NULL,
    "renewals" BIGINT NOT NULL,
    "refunds" BIGINT NOT NULL,
    "revenue_minor" BIGINT NOT NULL,
    "refunded_minor" BIGINT NOT NULL,
    "commission_minor" BIGINT NOT NULL,
    "pending_minor" BIGINT NOT NULL,
    "rejected_minor" BIGINT NOT NULL,

    CONSTRAINT "affiliate_totals_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "affiliate_totals_project_id_affiliate_id_idx" ON "affiliate_totals"("project_id", "affiliate_id");

-- A row's share of its affiliate's totals follows reports/summary: revenue is what purchases and renewals took in,
-- refunded what refunds gave back (refund rows carry negative amounts), and commission (counted: no review, or
-- approved), pending and rejected leave signups out. `s` is 1 for a row as it is now, -1 for a row as it was; a
-- trigger's transition tables are only the ones its event has, so each event has its own function.
CREATE FUNCTION affiliate_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund'), 0) AS refunds,
      coalesce(sum(s * amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0) AS revenue_minor,
      coalesce(-sum(s * amount_minor) FILTER (WHERE kind = 'refund'), 0) AS refunded_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND (review_status IS NULL OR review_status = 'approved')), 0) AS commission_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'pending'), 0) AS pending_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'rejected'), 0) AS rejected_minor
    FROM (SELECT 1 AS s, project_id, affiliate_id, currency, kind, amount_minor, value_minor, review_status FROM new_rows) d
    WHERE affiliate_id IS NOT NULL
    GROUP BY project_id, affiliate_id, currency
  ) g
  WHERE (signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor) <> (0, 0, 0, 0, 0, 0, 0, 0, 0);
  RETURN NULL;
END $$;

CREATE FUNCTION affiliate_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund'), 0) AS refunds,
      coalesce(sum(s * amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0) AS revenue_minor,
      coalesce(-sum(s * amount_minor) FILTER (WHERE kind = 'refund'), 0) AS refunded_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND (review_status IS NULL OR review_status = 'approved')), 0) AS commission_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'pending'), 0) AS pending_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'rejected'), 0) AS rejected_minor
    FROM (SELECT -1 AS s, project_id, affiliate_id, currency, kind, amount_minor, value_minor, review_status FROM old_rows) d
    WHERE affiliate_id IS NOT NULL
    GROUP BY project_id, affiliate_id, currency
  ) g
  WHERE (signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor) <> (0, 0, 0, 0, 0, 0, 0, 0, 0);
  RETURN NULL;
END $$;

-- Most updates (payouts, hold changes, status of delivery) move no total: their deltas are all zero and nothing is
-- appended.
CREATE FUNCTION affiliate_totals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund'), 0) AS refunds,
      coalesce(sum(s * amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0) AS revenue_minor,
      coalesce(-sum(s * amount_minor) FILTER (WHERE kind = 'refund'), 0) AS refunded_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND (review_status IS NULL OR review_status = 'approved')), 0) AS commission_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'pending'), 0) AS pending_minor,
      coalesce(sum(s * value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'rejected'), 0) AS rejected_minor
    FROM (SELECT 1 AS s, project_id, affiliate_id, currency, kind, amount_minor, value_minor, review_status FROM new_rows UNION ALL SELECT -1 AS s, project_id, affiliate_id, currency, kind, amount_minor, value_minor, review_status FROM old_rows) d
    WHERE affiliate_id IS NOT NULL
    GROUP BY project_id, affiliate_id, currency
  ) g
  WHERE (signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor) <> (0, 0, 0, 0, 0, 0, 0, 0, 0);
  RETURN NULL;
END $$;

CREATE FUNCTION affiliate_totals_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM affiliate_totals;
  RETURN NULL;
END $$;

CREATE TRIGGER affiliate_totals_inserted AFTER INSERT ON conversions REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION affiliate_totals_inserted();
CREATE TRIGGER affiliate_totals_updated AFTER UPDATE ON conversions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION affiliate_totals_updated();
CREATE TRIGGER affiliate_totals_deleted AFTER DELETE ON conversions REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION affiliate_totals_deleted();
CREATE TRIGGER affiliate_totals_truncated AFTER TRUNCATE ON conversions FOR EACH STATEMENT EXECUTE FUNCTION affiliate_totals_truncated();

-- the rows already stored
INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
SELECT project_id, affiliate_id, currency,
  count(*) FILTER (WHERE kind = 'signup'), count(*) FILTER (WHERE kind = 'purchase'), count(*) FILTER (WHERE kind = 'renewal'), count(*) FILTER (WHERE kind = 'refund'),
  coalesce(sum(amount_minor) FILTER (WHERE kind IN ('purchase', 'renewal')), 0), coalesce(-sum(amount_minor) FILTER (WHERE kind = 'refund'), 0),
  coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND (review_status IS NULL OR review_status = 'approved')), 0),
  coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'pending'), 0),
  coalesce(sum(value_minor) FILTER (WHERE kind <> 'signup' AND review_status = 'rejected'), 0)
FROM conversions WHERE affiliate_id IS NOT NULL
GROUP BY project_id, affiliate_id, currency;
