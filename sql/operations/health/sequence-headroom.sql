-- health: how much of its range each identifier has used. Every sequence
-- owned by a column (identity or serial) in the given schemas: its last
-- value against the smaller of the sequence's maximum and the column type's;
-- and every smallint/integer column whose foreign key refers to such a column
-- (it runs out when the referenced sequence passes its type's maximum).
-- last_value is NULL for a sequence never used (or not readable by this
-- role); ascending sequences only. $1: the schemas to look in.
WITH owned AS (
  SELECT sn.nspname AS schema_name, s.relname AS sequence_name, d.refobjid AS table_oid, d.refobjsubid AS column_num,
         ps.last_value::numeric AS last_value, ps.max_value::numeric AS sequence_max
    FROM pg_class s
    JOIN pg_namespace sn ON sn.oid = s.relnamespace
    JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
    JOIN pg_sequences ps ON ps.schemaname = sn.nspname AND ps.sequencename = s.relname
   WHERE s.relkind = 'S' AND sn.nspname = ANY ($1::text[]) AND ps.increment_by > 0
), type_max(typid, max_value) AS (
  VALUES ('int2'::regtype::oid, 32767::numeric), ('int4'::regtype::oid, 2147483647::numeric),
         ('int8'::regtype::oid, 9223372036854775807::numeric)
)
SELECT o.schema_name, t.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, NULL) AS column_type,
       o.sequence_name, o.last_value::float8 AS last_value,
       least(o.sequence_max, coalesce(m.max_value, o.sequence_max))::float8 AS max_value,
       false AS via_foreign_key
  FROM owned o
  JOIN pg_class t ON t.oid = o.table_oid
  JOIN pg_attribute a ON a.attrelid = o.table_oid AND a.attnum = o.column_num
  LEFT JOIN type_max m ON m.typid = a.atttypid
UNION ALL
SELECT rn.nspname, r.relname, a.attname, format_type(a.atttypid, NULL), o.sequence_name, o.last_value::float8,
       m.max_value::float8, true
  FROM pg_constraint c
  JOIN owned o ON o.table_oid = c.confrelid AND c.confkey = ARRAY[o.column_num::int2]
  JOIN pg_class r ON r.oid = c.conrelid
  JOIN pg_namespace rn ON rn.oid = r.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.conrelid AND c.conkey = ARRAY[a.attnum]
  JOIN type_max m ON m.typid = a.atttypid
 WHERE c.contype = 'f' AND a.atttypid IN ('int2'::regtype, 'int4'::regtype)
 ORDER BY 1, 2, 3;
