-- Columns with their exact types, defaults, identity and owned sequences, and whether a column comes
-- from a parent (a partition's or an inheritance child's: it changes with the parent). An owned
-- sequence's grants (in the ACL's order, which pg_dump prints them in; the owner's own left out;
-- is_grantable::text is `true`, where format() alone prints `t`) and comment: what an identity made
-- again on another column would lose.
SELECT n.nspname AS schema,
       c.relname AS table,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS "default",
       a.attidentity AS identity,
       a.attgenerated <> '' AS generated,
       a.attinhcount > 0 AS inherited,
       seq.name AS owned_sequence,
       sn.nspname AS sequence_schema,
       s.relname AS sequence_name,
       ARRAY(SELECT format('%s|%s|%s', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END, g.privilege_type, g.is_grantable::text)
             FROM aclexplode(s.relacl) WITH ORDINALITY AS g(grantor, grantee, privilege_type, is_grantable, i)
             WHERE g.grantee <> s.relowner ORDER BY g.i) AS sequence_grants,
       obj_description(s.oid, 'pg_class') AS sequence_comment,
       col_description(a.attrelid, a.attnum) AS comment,
       ARRAY(SELECT format('%s|%s|%s', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END, g.privilege_type, g.is_grantable::text)
             FROM aclexplode(a.attacl) AS g ORDER BY 1) AS grants,
       -- What a generated column reads: PG 15+ records it on the column's pg_attrdef, PG 14 on the column.
       ARRAY(SELECT DISTINCT r.attname::text FROM pg_depend dep JOIN pg_attribute r ON r.attrelid = dep.refobjid AND r.attnum = dep.refobjsubid
             WHERE a.attgenerated <> '' AND dep.refobjid = a.attrelid AND dep.refobjsubid <> a.attnum
               AND ((dep.classid = 'pg_attrdef'::regclass AND dep.objid = d.oid)
                    OR (dep.classid = 'pg_class'::regclass AND dep.objid = a.attrelid AND dep.objsubid = a.attnum))
             ORDER BY 1) AS generated_from
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
CROSS JOIN LATERAL (SELECT pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) AS name) AS seq
LEFT JOIN pg_class s ON s.oid = seq.name::regclass
LEFT JOIN pg_namespace sn ON sn.oid = s.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND a.attnum > 0
  AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY n.nspname, c.relname, a.attnum;
