-- ecliptix.register_app_device_if_not_exists: $1 app_instance_id, $2 device_id, $3 device_type.
SELECT outcome, app_device_id, status FROM ecliptix.register_app_device_if_not_exists($1::uuid, $2::uuid, $3::int);
