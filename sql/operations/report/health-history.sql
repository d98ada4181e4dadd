-- report: the health snapshots of the last $1 days, oldest first (each
-- `health` run keeps one: sizes, row counts, each check's level and number).
SELECT s.taken_at, s.summary
  FROM persistor.health_snapshots s
 WHERE s.taken_at >= now() - make_interval(days => $1::int)
 ORDER BY s.taken_at;
