-- lock-identity-tables.sql — a merge into a database in use: no other
-- transaction may add or change devices, phones, links or memberships while
-- the import decides which rows stand for which (reads go on).
lock table ecliptix.app_devices, ecliptix.phone_numbers, ecliptix.phone_number_devices, ecliptix.memberships
  in share row exclusive mode
