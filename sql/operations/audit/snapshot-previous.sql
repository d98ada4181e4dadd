-- audit: the newest snapshot, the one this review compares with.
SELECT taken_at, summary FROM persistor.audit_snapshots ORDER BY taken_at DESC, id DESC LIMIT 1;
