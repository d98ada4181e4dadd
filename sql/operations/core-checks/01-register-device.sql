-- verify, core check: register a new device ($1 app_instance_id, $2 device_id). Expect outcome created.
SELECT * FROM ecliptix.register_app_device_if_not_exists($1::uuid, $2::uuid, 1);
