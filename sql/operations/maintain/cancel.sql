-- maintain: cancels the statement of backend $1 (an interrupted maintain's own session).
SELECT pg_cancel_backend($1::int) AS cancelled;
