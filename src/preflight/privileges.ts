import type { Sql } from '../db/connect.js';
import { qualify } from '../db/quote.js';
import { missingRecordPrivilege } from '../drizzle/record.js';
import { DatabaseError } from '../errors.js';
import type { Plan } from '../planner/plan-schema.js';

type Queryable = Pick<Sql, 'unsafe'>;

/**
 * What running a plan's stages needs from the database user, checked before anything is written:
 * ownership of every table and view the stages alter, drop or rebuild (membership in the owning role
 * will do; a superuser has it all), TEMP for the stages' temporary tables, and the bookkeeping schema
 * `uuidmig` (CREATE on the database to make it, or the use of it once it exists). One DatabaseError
 * (exit 3) names every missing privilege; nothing was created.
 */
export async function checkPrivileges(sql: Queryable, plan: Plan, command: string): Promise<void> {
  // The catalog slice, and every table a statement names (a foreign key dropped from a table outside it).
  const relations = [
    ...new Set([
      ...[...plan.catalog.tables, ...plan.catalog.views].map((r) => qualify(r.schema, r.name)),
      ...plan.stages.flatMap((s) => s.steps.flatMap((step) => (step.table ? [step.table] : []))),
    ]),
  ];
  const [row] = await sql.unsafe<
    {
      user: string;
      database: string;
      not_owned: { name: string; owner: string }[];
      temp: boolean;
      bookkeeping: boolean;
      bookkeeping_exists: boolean;
      superuser: boolean;
    }[]
  >(
    `SELECT current_user AS user, current_database() AS database,
       coalesce((SELECT json_agg(json_build_object('name', c.oid::regclass::text, 'owner', pg_get_userbyid(c.relowner))
                                 ORDER BY c.oid::regclass::text)
                 FROM pg_class c
                 WHERE c.oid = ANY (SELECT to_regclass(r) FROM unnest($1::text[]) AS r)
                   AND NOT pg_has_role(c.relowner, 'MEMBER')), '[]') AS not_owned,
       has_database_privilege(current_database(), 'TEMP') AS temp,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
       to_regnamespace('uuidmig') IS NOT NULL AS bookkeeping_exists,
       CASE WHEN to_regnamespace('uuidmig') IS NULL THEN has_database_privilege(current_database(), 'CREATE')
            ELSE has_schema_privilege('uuidmig', 'USAGE')
              AND coalesce(has_table_privilege(to_regclass('uuidmig.plans'), 'SELECT, INSERT, UPDATE'), true)
              AND coalesce(has_table_privilege(to_regclass('uuidmig.journal'), 'SELECT, INSERT'), true)
              AND coalesce(has_table_privilege(to_regclass('uuidmig.checks'), 'SELECT, INSERT, UPDATE, DELETE'), true)
       END AS bookkeeping`,
    [relations],
  );
  const r = row!;
  const missing = [
    ...(r.not_owned.length
      ? [
          `it does not own ${r.not_owned.map((o) => `${o.name} (owner ${o.owner})`).join(', ')}, and only an ` +
            'owner may alter, drop and rebuild them',
        ]
      : []),
    ...(r.temp ? [] : [`it may not create temporary tables (TEMP on database ${r.database})`]),
    ...(r.superuser || !quietTables(plan).length || command !== 'apply'
      ? []
      : [
          `the online backfill keeps the triggers and rules of ${quietTables(plan).join(', ')} from firing on its ` +
            'own UPDATEs with session_replication_role, which only a superuser may set (or plan again with ' +
            '--fire-triggers to let them fire)',
        ]),
    ...(r.bookkeeping
      ? []
      : [
          r.bookkeeping_exists
            ? 'it may not use the bookkeeping schema uuidmig (USAGE, and SELECT, INSERT, UPDATE on its tables)'
            : `it may not create the bookkeeping schema uuidmig (CREATE on database ${r.database})`,
        ]),
  ];
  if (plan.drizzle && (command === 'apply' || command === 'roll back')) {
    const lacking = await missingRecordPrivilege(sql, plan.drizzle, command === 'roll back');
    if (lacking) missing.push(lacking);
  }
  if (!missing.length) return;
  throw new DatabaseError(
    `The database user "${r.user}" cannot ${command} this plan: ${missing.join('; ')}. Connect as the tables' ` +
      'owner (or a member of its role), or grant what is missing; nothing was changed.',
  );
}

/** Tables whose triggers an online backfill keeps quiet (session_replication_role). */
const quietTables = (plan: Plan): string[] => [
  ...new Set(plan.stages.flatMap((s) => s.steps.filter((t) => t.batch?.quiet && t.table).map((t) => t.table!))),
];
