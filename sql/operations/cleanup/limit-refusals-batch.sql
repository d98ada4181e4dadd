-- cleanup: delete up to $2 refusal episodes (ecliptix_internal.limit_refusals,
-- V020) that ended by $1 (the database clock at the start of the run),
-- skipping rows a routine holds right now (it is starting a new episode).
-- Reads the table (no index on refused_until; see limit-refusals-count.sql),
-- which the rule keeps to the running episodes.
-- Returns n, the number of rows deleted.
WITH changed AS (
  DELETE FROM ecliptix_internal.limit_refusals r
   WHERE (r.limit_name, r.phone_unique_id) IN (
           SELECT o.limit_name, o.phone_unique_id
             FROM ecliptix_internal.limit_refusals o
            WHERE o.refused_until <= $1::timestamptz
            LIMIT $2
              FOR UPDATE SKIP LOCKED)
  RETURNING 1
)
SELECT count(*) AS n FROM changed;
