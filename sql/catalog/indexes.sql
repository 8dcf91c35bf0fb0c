-- Indexes of tables and materialized views (and whether a partition's index belongs to its parent's),
-- with every column they use: key and INCLUDE
-- columns (indkey) and columns inside expressions or the partial predicate (pg_depend).
SELECT n.nspname AS schema,
       t.relname AS table,
       i.relname AS name,
       pg_get_indexdef(ix.indexrelid) AS definition,
       ix.indisunique AS "unique",
       pg_get_expr(ix.indpred, ix.indrelid) AS predicate,
       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid AND con.conrelid = ix.indrelid) AS backs_constraint,
       EXISTS (SELECT 1 FROM pg_inherits inh WHERE inh.inhrelid = ix.indexrelid) AS inherited,
       ARRAY(SELECT DISTINCT a.attname::text
             FROM pg_attribute a
             WHERE a.attrelid = ix.indrelid
               AND (a.attnum = ANY (ix.indkey::int2[])
                    OR a.attnum IN (SELECT d.refobjsubid FROM pg_depend d
                                    WHERE d.classid = 'pg_class'::regclass AND d.objid = ix.indexrelid
                                      AND d.refclassid = 'pg_class'::regclass AND d.refobjid = ix.indrelid
                                      AND d.refobjsubid > 0))
             ORDER BY 1) AS columns
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE t.relkind IN ('r', 'p', 'm')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY n.nspname, t.relname, i.relname;
