-- Ordinary and partitioned tables outside the system schemas and uuidmig's own bookkeeping.
-- reltuples is -1 (PG 14+) or 0 for a table that was never analyzed: reported as unknown.
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind AS kind,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY n.nspname, c.relname;
