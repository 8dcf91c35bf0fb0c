-- Ordinary and partitioned tables outside the system schemas and uuidmig's own bookkeeping.
-- reltuples is -1 (PG 14+) or 0 for a table that was never analyzed: reported as unknown.
SELECT n.nspname AS schema,
       c.relname AS name,
       c.relkind AS kind,
       CASE WHEN c.reltuples < 0 THEN NULL ELSE c.reltuples::bigint END AS row_estimate,
       c.relrowsecurity AS row_security,
       c.relforcerowsecurity AS force_row_security,
       c.relispartition AS is_partition,
       (SELECT json_build_object('schema', pn.nspname, 'name', p.relname)
          FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
          WHERE i.inhrelid = c.oid ORDER BY i.inhseqno LIMIT 1) AS parent,
       ARRAY(SELECT a.attname::text FROM pg_partitioned_table pt
             CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = k.attnum
             WHERE pt.partrelid = c.oid ORDER BY k.ord) AS partition_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND n.nspname NOT LIKE 'pg\_temp\_%'
ORDER BY n.nspname, c.relname;
