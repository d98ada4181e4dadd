-- health: keeps the newest $1 snapshots and deletes the older ones.
DELETE FROM persistor.health_snapshots
 WHERE id IN (SELECT id FROM persistor.health_snapshots ORDER BY taken_at DESC, id DESC OFFSET $1::int);
