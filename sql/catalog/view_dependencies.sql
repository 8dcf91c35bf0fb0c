-- Which columns of which tables (or views) each view reads, from the rewrite rule's dependencies.
-- Views reference columns by number, so these are the views a key migration must rebuild.
SELECT DISTINCT vn.nspname AS view_schema,
       v.relname AS view_name,
       tn.nspname AS schema,
       t.relname AS table,
       a.attname AS column
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_namespace vn ON vn.oid = v.relnamespace
JOIN pg_class t ON t.oid = d.refobjid
JOIN pg_namespace tn ON tn.oid = t.relnamespace
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
WHERE d.classid = 'pg_rewrite'::regclass
  AND d.refclassid = 'pg_class'::regclass
  AND d.refobjsubid > 0
  AND v.oid <> t.oid
  AND v.relkind IN ('v', 'm')
  AND vn.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
ORDER BY 1, 2, 3, 4, 5;
