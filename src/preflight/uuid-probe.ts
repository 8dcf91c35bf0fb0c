import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent } from '../db/quote.js';
import { columnKey, displayTable, sameTable, type TableModel, tableKey } from '../model/types.js';
import type { Finding } from '../model/work.js';
import { boundObjects } from '../planner/bound-objects.js';
import { policySql } from '../planner/bound-steps.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';

/** A rule that copies a key into another table fails when that table's column stays integer. */
const RULE_HINT =
  ', or, if it copies the value into an integer column of another table that holds the same ids, convert that ' +
  'column with it: --reference <table>.<column>=<parent table>.<key> (see the likely references among the warnings)';

/** A policy dropped leaves its table open: the form that holds on both types keeps it in force. */
const policyHint = (reads: string[]) =>
  ` (dropped, it leaves the table open until it is back: rewritten to compare as text, which holds on integer and ` +
  `uuid alike, ${reads[0]}::text = ..., it stays in force throughout)`;

const hintFor = (p: Pick<Probe, 'what' | 'reads'>): string =>
  p.what.startsWith('Rule') ? RULE_HINT : p.what.startsWith('Policy') ? policyHint(p.reads) : '';

interface Probe {
  what: string;
  /** The converting columns the object reads. */
  reads: string[];
  sql: (probe: string, printedName: string) => string;
}

/**
 * Everything the swap rebuilds on a converting column must still make sense once the column is uuid:
 * a check like `author_id > 0`, an index predicate, a policy or a trigger's WHEN would fail halfway
 * through apply. Each is tried first on an empty temporary copy of its table whose converting columns
 * are already uuid, in a transaction that is rolled back; what fails blocks the plan, named.
 */
export async function probeUuidRebuilds(sql: Sql, plan: Plan): Promise<Finding[]> {
  const findings: Finding[] = [];
  const probesByTable = new Map<string, { table: TableModel; columns: string[]; probes: Probe[] }>();
  for (const changes of planChanges(plan)) {
    const bound = boundObjects(changes);
    // A partition's or inheritance child's column that follows a converting one is uuid on its copy too.
    const columnsOf = (table: TableModel) => [
      ...changes.changes.filter((c) => sameTable(c.table, table)).map((c) => c.column.name),
      ...(changes.children.find((ch) => sameTable(ch.table, table))?.columns ?? []),
    ];
    const converting = new Set(
      [...changes.tables, ...changes.children.map((ch) => ch.table)].flatMap((t) =>
        columnsOf(t).map((c) => columnKey(t, c)),
      ),
    );
    const entry = (table: TableModel) => {
      let e = probesByTable.get(tableKey(table));
      if (!e) {
        e = { table, columns: columnsOf(table), probes: [] };
        probesByTable.set(tableKey(table), e);
      }
      return e;
    };
    const reads = (table: TableModel, columns: string[]) => columns.filter((c) => converting.has(columnKey(table, c)));
    for (const k of bound.keys.filter((k) => k.definition.startsWith('CHECK'))) {
      const columns = reads(k.table, k.table.checks.find((c) => c.name === k.name)?.columns ?? []);
      entry(k.table).probes.push({
        what: `Check constraint ${k.name} (${k.definition})`,
        reads: columns,
        sql: (p) => `ALTER TABLE ${p} ADD ${k.definition}`,
      });
    }
    for (const i of bound.indexes) {
      const rest = i.definition.slice(i.definition.indexOf(' USING ') + 1);
      const columns = reads(i.table, i.table.indexes.find((x) => x.name === i.name)?.columns ?? []);
      entry(i.table).probes.push({
        what: `Index ${i.name} (${i.definition})`,
        reads: columns,
        sql: (p) => `CREATE INDEX ON ${p} ${rest}`,
      });
    }
    // A policy that also reads another converting table cannot be tried on one probe table (the other
    // is still integer there); such policies compare key with key, which holds after the swap.
    for (const { table, policy } of bound.policies) {
      const readsElsewhere = policy.uses.some((u) => converting.has(columnKey(u, u.column)) && !sameTable(u, table));
      if (readsElsewhere) continue;
      const read = new Set(policy.uses.map((u) => columnKey(u, u.column)));
      const columns = columnsOf(table).filter((c) => read.has(columnKey(table, c)));
      entry(table).probes.push({ what: `Policy ${policy.name}`, reads: columns, sql: (p) => policySql(policy, p) });
    }
    for (const { table, trigger } of bound.triggers) {
      entry(table).probes.push({
        what: `Trigger ${trigger.name} (${trigger.definition})`,
        reads: reads(table, trigger.columns),
        sql: (p, printed) => trigger.definition.replace(` ON ${printed} `, ` ON ${p} `),
      });
    }
    // A rule on a converting table that reads only that table's converting columns: its actions run on
    // uuid values from now on (`INSERT INTO audit VALUES (new.author_id)` into an integer column fails).
    // One that reads other converting tables is left to the DDL check, like such a policy.
    for (const { table, rule } of bound.rules) {
      if (!columnsOf(table).length) continue;
      if (rule.uses.some((u) => converting.has(columnKey(u, u.column)) && !sameTable(u, table))) continue;
      const read = rule.uses.filter((u) => sameTable(u, table) && converting.has(columnKey(u, u.column)));
      entry(table).probes.push({
        what: `Rule ${rule.name}`,
        reads: [...new Set(read.map((u) => u.column))],
        sql: (p, printed) => rule.definition.replace(`ON ${rule.event} TO ${printed}`, `ON ${rule.event} TO ${p}`),
      });
    }
  }
  const work = [...probesByTable.values()].filter((e) => e.probes.length);
  if (!work.length) return findings;
  await sql
    .begin(async (tx) => {
      await tx.unsafe('SET LOCAL search_path = pg_catalog');
      for (const [n, { table, columns, probes }] of work.entries()) {
        const probe = `pg_temp.${quoteIdent(`uuidmig_probe_${n}`)}`;
        const [row] = await tx.unsafe<{ printed: string }[]>('SELECT $1::regclass::text AS printed', [
          qualify(table.schema, table.name),
        ]);
        const printed = row!.printed;
        await tx.unsafe(
          `CREATE TEMP TABLE ${quoteIdent(`uuidmig_probe_${n}`)} (LIKE ${qualify(table.schema, table.name)})`,
        );
        for (const column of columns)
          await tx.unsafe(`ALTER TABLE ${probe} ALTER COLUMN ${quoteIdent(column)} TYPE uuid USING NULL`);
        for (const p of probes) {
          await tx.unsafe('SAVEPOINT uuidmig_probe');
          try {
            await tx.unsafe(p.sql(probe, printed));
            await tx.unsafe('RELEASE SAVEPOINT uuidmig_probe');
          } catch (error) {
            await tx.unsafe('ROLLBACK TO SAVEPOINT uuidmig_probe');
            findings.push({
              kind: 'not-uuid-ready',
              table,
              columns: p.reads,
              message:
                `${p.what} on ${displayTable(table)} cannot hold once ${p.reads.join(', ')} ` +
                `${p.reads.length === 1 ? 'is' : 'are'} uuid (${(error as Error).message}); drop or rewrite it ` +
                `before the migration${hintFor(p)}.`,
            });
          }
        }
      }
      throw new ProbeDone();
    })
    .catch((error) => {
      if (!(error instanceof ProbeDone)) throw error;
    });
  return findings;
}

class ProbeDone extends Error {}
