-- verify, core check: create a phone number linked to the device ($1 phone, $2 device unique_id). Expect created_and_associated.
SELECT * FROM ecliptix.ensure_phone_number($1, 'US', $2::uuid);
