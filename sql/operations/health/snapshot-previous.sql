-- health: the newest snapshot, the one this run compares with.
SELECT taken_at, summary FROM persistor.health_snapshots ORDER BY taken_at DESC, id DESC LIMIT 1;
