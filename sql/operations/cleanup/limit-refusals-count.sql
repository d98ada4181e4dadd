-- cleanup: refusal episodes (ecliptix_internal.limit_refusals, V020) that
-- ended by $1 (the database clock at the start of the run). An ended episode
-- only keeps the next refusal of its (limit, phone) from writing an event it
-- would write anyway (a new episode), so removing it loses nothing.
-- No index on refused_until: the table holds one row per (limit, phone)
-- refused lately, and the rule keeps it to the running episodes.
SELECT count(*) AS n
  FROM ecliptix_internal.limit_refusals
 WHERE refused_until <= $1::timestamptz;
