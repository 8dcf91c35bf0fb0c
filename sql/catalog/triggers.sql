-- User triggers (not the ones PostgreSQL makes for constraints), their state, and the columns they
-- name in UPDATE OF or read in WHEN (tgattr and pg_depend).
SELECT n.nspname AS schema,
       c.relname AS table,
       t.tgname AS name,
       pg_get_triggerdef(t.oid) AS definition,
       t.tgenabled AS enabled,
       (t.tgtype & 16) <> 0 AS on_update,
       ARRAY(SELECT DISTINCT a.attname::text FROM pg_attribute a
             WHERE a.attrelid = t.tgrelid
               AND (a.attnum = ANY (t.tgattr::int2[])
                    OR a.attnum IN (SELECT d.refobjsubid FROM pg_depend d WHERE d.classid = 'pg_trigger'::regclass AND d.objid = t.oid
                                      AND d.refobjid = t.tgrelid AND d.refobjsubid > 0))
             ORDER BY 1) AS columns
FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT t.tgisinternal
  AND t.tgparentid = 0
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
ORDER BY n.nspname, c.relname, t.tgname;
