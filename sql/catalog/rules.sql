-- Rules (CREATE RULE) on tables, with every column their conditions and actions read (pg_depend), on
-- any table. A view's own _RETURN rule is the view itself (views.sql).
SELECT n.nspname AS schema,
       c.relname AS table,
       r.rulename AS name,
       pg_get_ruledef(r.oid) AS definition,
       r.ev_enabled AS enabled,
       CASE r.ev_type WHEN '1' THEN 'SELECT' WHEN '2' THEN 'UPDATE' WHEN '3' THEN 'INSERT' ELSE 'DELETE' END AS event,
       r.is_instead AS instead,
       (SELECT coalesce(json_agg(json_build_object('schema', u.schema, 'name', u.name, 'column', u.column)
                                 ORDER BY u.schema, u.name, u.column), '[]')
          FROM (SELECT DISTINCT dn.nspname::text AS schema, dc.relname::text AS name, a.attname::text AS column
                FROM pg_depend d JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
                  AND d.refobjsubid > 0) AS u) AS uses
FROM pg_rewrite r
JOIN pg_class c ON c.oid = r.ev_class
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE r.rulename <> '_RETURN'
  AND c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
ORDER BY n.nspname, c.relname, r.rulename;
