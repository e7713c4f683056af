-- reports/summary's `refunds` counts the refunds: the refund rows that take money back (a negative amount). A row
-- that earns given-back money again (a chargeback the merchant won, a refund that failed after its reversal was paid
-- out: a positive amount) is no refund; its amount still nets in `refunded`. The functions of
-- 20261227000000_affiliate_totals again with that filter, and the totals of the rows already stored corrected.

CREATE OR REPLACE FUNCTION affiliate_totals_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund' AND amount_minor < 0), 0) AS refunds,
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

CREATE OR REPLACE FUNCTION affiliate_totals_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund' AND amount_minor < 0), 0) AS refunds,
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
CREATE OR REPLACE FUNCTION affiliate_totals_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
  SELECT * FROM (
    SELECT project_id, affiliate_id, currency,
      coalesce(sum(s) FILTER (WHERE kind = 'signup'), 0) AS signups,
      coalesce(sum(s) FILTER (WHERE kind = 'purchase'), 0) AS purchases,
      coalesce(sum(s) FILTER (WHERE kind = 'renewal'), 0) AS renewals,
      coalesce(sum(s) FILTER (WHERE kind = 'refund' AND amount_minor < 0), 0) AS refunds,
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

-- the rows already stored
INSERT INTO affiliate_totals (project_id, affiliate_id, currency, signups, purchases, renewals, refunds, revenue_minor, refunded_minor, commission_minor, pending_minor, rejected_minor)
SELECT project_id, affiliate_id, currency, 0, 0, 0, -count(*), 0, 0, 0, 0, 0
FROM conversions WHERE kind = 'refund' AND amount_minor >= 0 AND affiliate_id IS NOT NULL
GROUP BY project_id, affiliate_id, currency;
