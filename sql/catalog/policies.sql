-- Row-level security policies, with every table column their expressions read (pg_depend).
SELECT n.nspname AS schema,
       c.relname AS table,
       p.polname AS name,
       p.polpermissive AS permissive,
       CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END AS command,
       ARRAY(SELECT CASE WHEN r = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(r) END FROM unnest(p.polroles) AS r ORDER BY 1) AS roles,
       pg_get_expr(p.polqual, p.polrelid) AS using,
       pg_get_expr(p.polwithcheck, p.polrelid) AS with_check,
       (SELECT coalesce(json_agg(json_build_object('schema', u.schema, 'name', u.name, 'column', u.column)
                                 ORDER BY u.schema, u.name, u.column), '[]')
          FROM (SELECT DISTINCT dn.nspname::text AS schema, dc.relname::text AS name, a.attname::text AS column
                FROM pg_depend d JOIN pg_class dc ON dc.oid = d.refobjid JOIN pg_namespace dn ON dn.oid = dc.relnamespace
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_policy'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_class'::regclass
                  AND d.refobjsubid > 0) AS u) AS uses
FROM pg_policy p
JOIN pg_class c ON c.oid = p.polrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
ORDER BY n.nspname, c.relname, p.polname;
