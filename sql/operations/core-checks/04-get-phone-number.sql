-- verify, core check: read the phone back ($1 phone unique_id). Expect one row.
SELECT * FROM ecliptix.get_phone_number($1::uuid);
