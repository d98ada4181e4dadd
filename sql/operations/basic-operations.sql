-- verify, criterion 5: what an application does first — register a device and
-- look up a phone — run in a transaction that is rolled back. Only routines of
-- schema ecliptix, which is all the application role is granted.
SELECT (SELECT r.outcome FROM ecliptix.register_app_device_if_not_exists(gen_random_uuid(), gen_random_uuid(), 1) r) AS register_outcome,
       (SELECT count(*) FROM ecliptix.get_phone_number(gen_random_uuid()))::int                                        AS phones_found;
