-- When a subject's email was stated (the time of the event that said it): the earliest statement is kept whatever
-- the order events arrive in. Subjects recorded before keep their email undated: a dated statement does not replace
-- it.
ALTER TABLE "attribution_subjects" ADD COLUMN "email_at" TIMESTAMPTZ(3);
