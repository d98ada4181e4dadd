-- cleanup: soft-delete up to $2 successful membership attempts made before $1
-- (failures are kept), skipping rows that live traffic holds locked.
-- Index: ix_membership_attempts_success_attempted (attempted_at) WHERE is_success AND NOT is_deleted,
-- then the primary key.
-- In index order (oldest first): that keeps the plan an index scan even when
-- nearly every row has expired (a sequential scan would re-read the rows
-- already done in every batch).
-- Returns n, the number of rows changed.
WITH changed AS (
  UPDATE ecliptix.membership_attempts
     SET is_deleted = true,
         updated_at = (SELECT ecliptix_internal.now())  -- once per batch; the trigger then keeps it
   WHERE id = ANY (ARRAY(
           SELECT id
             FROM ecliptix.membership_attempts
            WHERE is_success AND attempted_at < $1::timestamptz AND NOT is_deleted
            ORDER BY attempted_at
            LIMIT $2
              FOR UPDATE SKIP LOCKED))
  RETURNING id
)
SELECT count(*) AS n FROM changed;
