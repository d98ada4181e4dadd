-- verify, core check: read the phone's details ($1 phone unique_id). Expect one row.
SELECT * FROM ecliptix.get_phone_number_details($1::uuid);
