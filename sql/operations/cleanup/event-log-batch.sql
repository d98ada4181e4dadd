-- cleanup: delete up to $2 event_log rows created before $1 (the event-log
-- cut-off), skipping rows held locked.
-- Index: ix_event_log_created_at (created_at), then the primary key.
-- In index order (oldest first): that keeps the plan an index scan even when
-- nearly every row has expired (a sequential scan would re-read the rows
-- already done in every batch).
-- Returns n, the number of rows changed.
WITH changed AS (
  DELETE FROM ecliptix.event_log
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.event_log
            WHERE created_at < $1::timestamptz
            ORDER BY created_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
