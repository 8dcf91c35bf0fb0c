-- User functions and procedures with their signatures and bodies: uuidmig cannot rewrite a body,
-- so plan warns about each one that mentions a converting column or takes an integer id.
SELECT n.nspname AS schema,
       p.proname AS name,
       p.prokind AS kind,
       pg_get_function_identity_arguments(p.oid) AS arguments,
       coalesce(p.prosrc, '') AS body,
       ARRAY(SELECT format('%s|%s', coalesce(p.proargnames[i], ''), format_type(p.proargtypes[i - 1], NULL))
             FROM generate_series(1, p.pronargs) AS i ORDER BY i) AS parameters
FROM pg_proc p
JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_depend ext ON ext.classid = 'pg_proc'::regclass AND ext.objid = p.oid AND ext.deptype = 'e'
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'uuidmig')
  AND n.nspname NOT LIKE 'pg\_toast%'
  AND ext.objid IS NULL
  AND p.prokind IN ('f', 'p')
ORDER BY n.nspname, p.proname, 4;
