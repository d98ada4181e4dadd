-- drop-staging-schema.sql — drops the staging schema pgloader filled (it holds
-- the original's plaintext secure keys and OTP hashes), inside the import's
-- transaction, so it goes exactly when the import commits. The name comes from
-- set-staging-schema.sql and is quoted by format's %I.
do $$
begin
  execute format('drop schema %I cascade', current_setting('ecliptix.import_staging_schema'));
end
$$
