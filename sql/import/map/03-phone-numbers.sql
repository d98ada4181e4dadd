-- 03-phone-numbers.sql — phones, with their UniqueIds. A duplicate of a number
-- (another region's row, or the NULL region's) is written soft-deleted. The
-- region is the original's upper-cased when it is an ISO 3166-1 alpha-2 code
-- ecliptix knows, else NULL; the row that stands for a number takes the first
-- known region of its rows.
insert into ecliptix.phone_numbers (unique_id, phone_number, region, created_at, updated_at, is_deleted)
select s.unique_id,
       s.phone_number,
       case when not s.is_deleted and not m.merged then r.region
            when ecliptix_internal.is_known_region(upper(btrim(s.region))) then upper(btrim(s.region)) end,
       s.created_at at time zone 'UTC', s.updated_at at time zone 'UTC', s.is_deleted or m.merged
  from stage_phone_numbers s
  join import_phones m on m.old_id = s.id
  left join import_phone_regions r on r.to_uid = s.unique_id
 order by s.id
