-- maintain: gives the session back its lock_timeout as configured (the
-- server's, the role's or the database's), not 0, before the connection
-- returns to the pool.
RESET lock_timeout;
