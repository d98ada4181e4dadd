-- 06-phone-number-devices.sql — the links, as 05-links.sql placed them.
insert into ecliptix.phone_number_devices (phone_number_id, app_device_id, is_primary, created_at, updated_at, is_deleted)
select w_phone, w_device, w_primary, created_at at time zone 'UTC', updated_at at time zone 'UTC', w_deleted
  from import_links
 order by created_at, w_phone, w_device
