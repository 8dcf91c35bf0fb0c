-- Extended statistics objects (CREATE STATISTICS) and the columns they cover: they bind columns by
-- number, so the swap rebuilds the ones on converting columns.
SELECT n.nspname AS schema,
       c.relname AS table,
       sn.nspname AS statistics_schema,
       s.stxname AS name,
       pg_get_statisticsobjdef(s.oid) AS definition,
       ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = s.stxrelid AND a.attnum = ANY (s.stxkeys::int2[]) ORDER BY 1) AS columns
FROM pg_statistic_ext s
JOIN pg_class c ON c.oid = s.stxrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_namespace sn ON sn.oid = s.stxnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
ORDER BY n.nspname, c.relname, s.stxname;
