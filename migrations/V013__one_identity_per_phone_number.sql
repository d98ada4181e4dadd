-- V013__one_identity_per_phone_number.sql — phone numbers: one identity per E.164 number.
-- Security fix (not one of the 36 objects): ensure_phone_number created a new
-- phone_numbers row for every region spelled with the same number ('US',
-- 'GB', 'ZZ', NULL, ...). Every per-phone limit counts per row, so one number
-- got hundreds of times its budget of flows, codes and guesses.
--
-- From here on an E.164 number is unique among active rows, whatever the
-- region. The region is a description of the number (ISO 3166-1 alpha-2, or
-- '001' for non-geographic numbers such as +800 / +881), never a key.
--
-- Existing duplicates are merged, without losing a row of history: for each
-- number with several active rows the oldest row (lowest id) is kept; every
-- reference to the others is re-pointed to it; the others are soft-deleted;
-- each merge is recorded in event_log (event_type 'phone_number_merged', the
-- unique_ids only, never the number). Where re-pointing would make two active
-- rows collide on a partial unique index (two links of one device, two pending
-- flows of one device and purpose, two memberships of one device), the newer
-- row is soft-deleted (links, memberships) or expired (flows) instead — still
-- kept, never deleted.

-- ISO 3166-1 alpha-2 (officially assigned), plus the codes libphonenumber
-- uses for regions with their own numbering plan (AC Ascension, TA Tristan da
-- Cunha, XK Kosovo) and '001' (non-geographic, as libphonenumber names it).
create or replace function ecliptix_internal.is_known_region(p_value text)
returns boolean
language sql
immutable
set search_path = pg_catalog, pg_temp
as $$
  select p_value = any (array[
    'AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ',
    'BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS','BT','BV','BW','BY','BZ',
    'CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN','CO','CR','CU','CV','CW','CX','CY','CZ',
    'DE','DJ','DK','DM','DO','DZ',
    'EC','EE','EG','EH','ER','ES','ET',
    'FI','FJ','FK','FM','FO','FR',
    'GA','GB','GD','GE','GF','GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY',
    'HK','HM','HN','HR','HT','HU',
    'ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT',
    'JE','JM','JO','JP',
    'KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ',
    'LA','LB','LC','LI','LK','LR','LS','LT','LU','LV','LY',
    'MA','MC','MD','ME','MF','MG','MH','MK','ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ',
    'NA','NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ',
    'OM',
    'PA','PE','PF','PG','PH','PK','PL','PM','PN','PR','PS','PT','PW','PY',
    'QA',
    'RE','RO','RS','RU','RW',
    'SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS','ST','SV','SX','SY','SZ',
    'TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO','TR','TT','TV','TW','TZ',
    'UA','UG','UM','US','UY','UZ',
    'VA','VC','VE','VG','VI','VN','VU',
    'WF','WS',
    'YE','YT',
    'ZA','ZM','ZW',
    'AC','TA','XK',
    '001'
  ])
$$;

-- A region is NULL (unknown), an ISO 3166-1 alpha-2 code, or '001'.
create or replace function ecliptix_internal.assert_region(p_value text, p_param text)
returns void
language plpgsql
immutable
set search_path = pg_catalog, pg_temp
as $$
begin
  perform ecliptix_internal.assert_max_length(p_value, 3, p_param);
  if p_value is not null and not ecliptix_internal.is_known_region(p_value) then
    raise exception '% must be an ISO 3166-1 alpha-2 region code (upper case) or 001 for a non-geographic number, or null: "%"', p_param, p_value
      using errcode = 'invalid_parameter_value';
  end if;
end;
$$;

alter table ecliptix.phone_numbers alter column region type varchar(3);
alter table ecliptix.phone_numbers drop constraint phone_numbers_region_check;
alter table ecliptix.phone_numbers add constraint phone_numbers_region_check
  check (region ~ '^([A-Z]{2}|001)$');

-- ---------------------------------------------------------------------------
-- Merge active duplicates into the oldest row of each number.
-- phone_group: every active row of a duplicated number (the kept one too),
-- with the row it merges into.
-- ---------------------------------------------------------------------------
create temporary table phone_group on commit drop as
select d.id        as phone_id,
       d.unique_id as phone_uid,
       k.id        as keep_id,
       k.unique_id as keep_uid
  from ecliptix.phone_numbers d
  join lateral (
         select p.id, p.unique_id
           from ecliptix.phone_numbers p
          where p.phone_number = d.phone_number and not p.is_deleted
          order by p.id
          limit 1
       ) k on true
 where not d.is_deleted
   and exists (select 1 from ecliptix.phone_numbers o
                where o.phone_number = d.phone_number and not o.is_deleted and o.id <> d.id);

create temporary table phone_merge on commit drop as
select phone_id as dup_id, phone_uid as dup_uid, keep_id, keep_uid
  from phone_group where phone_id <> keep_id;

-- The kept row takes a region from a duplicate when it has none.
update ecliptix.phone_numbers k
   set region = (select d.region
                   from phone_merge m join ecliptix.phone_numbers d on d.id = m.dup_id
                  where m.keep_id = k.id and d.region is not null
                  order by d.id limit 1)
 where k.region is null
   and k.id in (select keep_id from phone_merge);

-- Device links (primary key: phone, device). For each device, the kept
-- phone's own link stays; otherwise the link of the oldest duplicate moves to
-- the kept phone. Links that cannot move stay on their (soft-deleted)
-- duplicate, soft-deleted themselves.
create temporary table link_moves on commit drop as
select l.phone_number_id as dup_uid, l.app_device_id, m.keep_uid
  from ecliptix.phone_number_devices l
  join phone_merge m on m.dup_uid = l.phone_number_id
 where not exists (select 1 from ecliptix.phone_number_devices k
                    where k.phone_number_id = m.keep_uid and k.app_device_id = l.app_device_id)
   and not exists (select 1 from ecliptix.phone_number_devices o
                     join phone_merge om on om.dup_uid = o.phone_number_id
                    where om.keep_uid = m.keep_uid and o.app_device_id = l.app_device_id
                      and om.dup_id < m.dup_id);

update ecliptix.phone_number_devices l
   set is_deleted = true, is_primary = false
  from phone_merge m
 where l.phone_number_id = m.dup_uid
   and not l.is_deleted
   and not exists (select 1 from link_moves v
                    where v.dup_uid = l.phone_number_id and v.app_device_id = l.app_device_id);

update ecliptix.phone_number_devices l
   set phone_number_id = v.keep_uid,
       is_primary = l.is_primary and not l.is_deleted and not exists (
         select 1 from ecliptix.phone_number_devices k
          where k.phone_number_id = v.keep_uid and k.is_primary and not k.is_deleted)
  from link_moves v
 where l.phone_number_id = v.dup_uid and l.app_device_id = v.app_device_id;

-- Several moved links may have been primary: the oldest stays primary.
update ecliptix.phone_number_devices l
   set is_primary = false
 where l.is_primary and not l.is_deleted
   and l.phone_number_id in (select keep_uid from phone_merge)
   and exists (select 1 from ecliptix.phone_number_devices o
                where o.phone_number_id = l.phone_number_id and o.is_primary and not o.is_deleted
                  and (o.created_at, o.app_device_id) < (l.created_at, l.app_device_id));

-- Pending flows: at most one per (device, phone, purpose); the newer ones of
-- a merged number end as expired.
update ecliptix.verification_flows f
   set status = 'expired'
  from phone_group g
 where f.phone_number_id = g.phone_id
   and f.status = 'pending' and not f.is_deleted
   and exists (select 1
                 from phone_group og
                 join ecliptix.verification_flows o on o.phone_number_id = og.phone_id
                where og.keep_id = g.keep_id
                  and o.app_device_id = f.app_device_id and o.purpose = f.purpose
                  and o.status = 'pending' and not o.is_deleted and o.id < f.id);
update ecliptix.verification_flows f
   set phone_number_id = m.keep_id
  from phone_merge m
 where f.phone_number_id = m.dup_id;

update ecliptix.otp_records o
   set phone_number_id = m.keep_id
  from phone_merge m
 where o.phone_number_id = m.dup_id;

-- Memberships: one active per (phone, device); the newer ones are soft-deleted.
update ecliptix.memberships s
   set is_deleted = true
  from phone_group g
 where s.phone_number_id = g.phone_uid and not s.is_deleted
   and exists (select 1
                 from phone_group og
                 join ecliptix.memberships o on o.phone_number_id = og.phone_uid
                where og.keep_id = g.keep_id
                  and o.app_device_id = s.app_device_id and not o.is_deleted and o.id < s.id);
update ecliptix.memberships s
   set phone_number_id = m.keep_uid
  from phone_merge m
 where s.phone_number_id = m.dup_uid;

update ecliptix.membership_attempts a
   set phone_number_id = m.keep_uid
  from phone_merge m
 where a.phone_number_id = m.dup_uid;

update ecliptix.phone_numbers p
   set is_deleted = true
  from phone_merge m
 where p.id = m.dup_id;

insert into ecliptix.event_log (event_type, message)
select 'phone_number_merged',
       format('phone number %s merged into %s (one identity per E.164 number)', m.dup_uid, m.keep_uid)
  from phone_merge m
 order by m.keep_id, m.dup_id;

-- ---------------------------------------------------------------------------
-- One active row per number.
-- ---------------------------------------------------------------------------
drop index ecliptix.ux_phone_numbers_number_region_active;
create unique index ux_phone_numbers_number_active
  on ecliptix.phone_numbers (phone_number) where not is_deleted;
