-- Views and materialized views with their definitions. Read with search_path = pg_catalog, so
-- pg_get_viewdef() qualifies every name and the text can be replayed from any session.
SELECT n.nspname AS schema,
       v.relname AS name,
       v.relkind AS kind,
       pg_get_viewdef(v.oid) AS definition
FROM pg_class v
JOIN pg_namespace n ON n.oid = v.relnamespace
WHERE v.relkind IN ('v', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
ORDER BY n.nspname, v.relname;
