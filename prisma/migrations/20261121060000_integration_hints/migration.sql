-- Hints stored before issue 13 took anything up to a "_" for a public prefix and showed it: a Lemon Squeezy
-- secret "abcdefgh_" was shown whole. Keep only the part from "…" on, unless what precedes it is a prefix the
-- provider puts on every secret or key it issues (src/integrations/integration-store.ts, PUBLIC_PREFIXES).
UPDATE "integrations" SET "webhook_secret_hint" = substr("webhook_secret_hint", strpos("webhook_secret_hint", '…'))
WHERE strpos("webhook_secret_hint", '…') > 1
  AND NOT (("provider" IN ('stripe', 'polar') AND "webhook_secret_hint" LIKE 'whsec\_…%')
        OR ("provider" = 'paddle' AND "webhook_secret_hint" LIKE 'pdl\_ntfset\_…%'));

UPDATE "integrations" SET "previous_secret_hint" = substr("previous_secret_hint", strpos("previous_secret_hint", '…'))
WHERE strpos("previous_secret_hint", '…') > 1
  AND NOT (("provider" IN ('stripe', 'polar') AND "previous_secret_hint" LIKE 'whsec\_…%')
        OR ("provider" = 'paddle' AND "previous_secret_hint" LIKE 'pdl\_ntfset\_…%'));

UPDATE "integrations" SET "api_key_hint" = substr("api_key_hint", strpos("api_key_hint", '…'))
WHERE strpos("api_key_hint", '…') > 1
  AND NOT (("provider" = 'stripe' AND "api_key_hint" ~ '^[sr]k_(live|test)_…')
        OR ("provider" = 'paddle' AND "api_key_hint" ~ '^pdl_(live|sdbx)_apikey_…')
        OR ("provider" = 'polar' AND "api_key_hint" ~ '^polar_(oat|pat)_…'));
