-- Views and materialized views with their definitions. Read with search_path = pg_catalog, so
-- pg_get_viewdef() qualifies every name and the text can be replayed from any session.
SELECT n.nspname AS schema,
       v.relname AS name,
       v.relkind AS kind,
       pg_get_viewdef(v.oid) AS definition,
       pg_get_userbyid(v.relowner) AS owner,
       obj_description(v.oid, 'pg_class') AS comment,
       coalesce(v.reloptions, '{}')::text[] AS options,
       ARRAY(SELECT format('%s|%s|%s', CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(g.grantee) END, g.privilege_type, g.is_grantable::text)
             FROM aclexplode(v.relacl) AS g WHERE g.grantee <> v.relowner ORDER BY 1) AS grants
FROM pg_class v
JOIN pg_namespace n ON n.oid = v.relnamespace
WHERE v.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY n.nspname, v.relname;
