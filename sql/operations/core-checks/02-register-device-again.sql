-- verify, core check: registering the same device again finds it ($1 app_instance_id, $2 device_id). Expect outcome exists.
SELECT * FROM ecliptix.register_app_device_if_not_exists($1::uuid, $2::uuid, 1);
