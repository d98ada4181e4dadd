-- audit: the period reviewed — the last $1 days by the database clock.
SELECT ecliptix_internal.now() - make_interval(days => $1::int) AS since, ecliptix_internal.now() AS until;
