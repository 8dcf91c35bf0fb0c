import { descendantsOf } from './inheritance.js';
import type { CatalogSnapshot, TableRef } from './types.js';
import { columnKey, displayColumn, displayTable, isIntegerType, tableKey } from './types.js';
import type { Finding, KeyConversion, ReferenceWork } from './work.js';

/**
 * Objects that depend on a converting column and that uuidmig cannot carry over: each is refused
 * before anything runs, in one sentence (what it is, why it blocks, what to do); and the functions
 * whose bodies it cannot rewrite, as warnings with their signatures. Pure.
 */
export function objectFindings(
  catalog: CatalogSnapshot,
  conversions: KeyConversion[],
  references: ReferenceWork[],
): { blockers: Finding[]; warnings: Finding[] } {
  const converting = new Set([
    ...conversions.map((c) => columnKey(c.table, c.column)),
    ...references.flatMap((r) => r.convertColumns.map((c) => columnKey(r.child, c))),
  ]);
  const convertingColumns = [
    ...conversions.map((c) => ({ table: c.table, column: c.column })),
    ...references.flatMap((r) => r.convertColumns.map((column) => ({ table: r.child, column }))),
  ];
  const touchedTables = new Set(convertingColumns.map((c) => tableKey(c.table)));
  // Partitions and inheritance children change with their parents: their objects are carried too.
  for (const table of catalog.tables.filter((t) => touchedTables.has(tableKey(t)))) {
    for (const child of descendantsOf(catalog.tables, table)) touchedTables.add(tableKey(child));
  }
  const blockers: Finding[] = [];
  const warnings: Finding[] = [];
  const byKey = new Map(catalog.tables.map((t) => [tableKey(t), t]));
  for (const table of catalog.tables) {
    const isConverting = (column: string) => converting.has(columnKey(table, column));
    for (const column of table.columns) {
      const inputs = (column.generatedFrom ?? []).filter(isConverting);
      if (column.generated && inputs.length) {
        blockers.push({
          kind: 'generated-column',
          table,
          columns: [column.name],
          message:
            `Generated column ${displayColumn(table, column.name)} is computed from ${inputs.join(', ')}, which ` +
            `becomes uuid, and its expression cannot be rewritten safely; drop it before the migration and add it ` +
            `back after.`,
        });
      }
    }
    const keyed = (table.partitionKey ?? []).filter(isConverting);
    if (keyed.length) {
      blockers.push({
        kind: 'partition-key',
        table,
        columns: keyed,
        message:
          `${displayTable(table)} is partitioned by ${keyed.join(', ')}, which becomes uuid, and partition bounds ` +
          `cannot change type; repartition by another column first.`,
      });
    }
    for (const policy of table.policies ?? []) {
      const reads = policy.uses.filter((u) => converting.has(columnKey(u, u.column)));
      const read = reads.map((u) => displayColumn(u, u.column)).join(', ');
      if (reads.length && !touchedTables.has(tableKey(table))) {
        blockers.push({
          kind: 'policy-elsewhere',
          table,
          columns: [],
          message:
            `Policy ${policy.name} on ${displayTable(table)} reads ${read}, which becomes uuid, but ` +
            `its table does not convert, so uuidmig does not rebuild it; drop the policy before the migration and ` +
            `create it again after.`,
        });
      }
    }
  }
  for (const ref of references) {
    const child = byKey.get(tableKey(ref.child));
    for (const name of ref.convertColumns) {
      const column = child?.columns.find((c) => c.name === name);
      if (column?.default && !column.identity) {
        warnings.push({
          kind: 'reference-default',
          table: ref.child,
          columns: [name],
          message:
            `${displayColumn(ref.child, name)} has the default ${column.default}, which cannot become a uuid; the ` +
            `uuid column gets no default.`,
        });
      }
    }
  }
  warnings.push(
    ...functionWarnings(catalog, convertingColumns),
    ...triggerFunctionWarnings(catalog, convertingColumns),
  );
  return { blockers, warnings };
}

/** Functions and procedures whose bodies mention a converting column, or that take an integer id. */
function functionWarnings(catalog: CatalogSnapshot, converting: { table: TableRef; column: string }[]): Finding[] {
  const columns = converting.map((c) => ({ table: c.table.name, column: c.column }));
  const findings: Finding[] = [];
  for (const fn of catalog.functions ?? []) {
    const body = fn.body.toLowerCase();
    const words = new Set(body.split(/[^a-z0-9_$]+/));
    const mentioned = columns
      .filter((c) => words.has(c.table.toLowerCase()) && words.has(c.column.toLowerCase()))
      .map((c) => `${c.table}.${c.column}`);
    const idParams = fn.parameters
      .filter((p) => isIntegerType(p.type) && /(^|_)id$|id$/i.test(p.name))
      .map((p) => p.name);
    if (!mentioned.length && !idParams.length) continue;
    const why = [
      mentioned.length ? `its body mentions ${[...new Set(mentioned)].join(', ')}` : '',
      idParams.length ? `it takes integer id parameter(s) ${idParams.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    findings.push({
      kind: 'function',
      table: { schema: fn.schema, name: fn.name },
      columns: [],
      message:
        `${fn.kind === 'procedure' ? 'Procedure' : 'Function'} ` +
        `${displayTable({ schema: fn.schema, name: fn.name })}(${fn.arguments}): ${why}; uuidmig cannot rewrite ` +
        `function bodies, so review it for uuid keys before apply.`,
    });
  }
  return findings;
}

/** Trigger functions on converting tables whose bodies read a converting column through NEW or OLD. */
function triggerFunctionWarnings(
  catalog: CatalogSnapshot,
  converting: { table: TableRef; column: string }[],
): Finding[] {
  const findings: Finding[] = [];
  for (const table of catalog.tables) {
    const columns = converting.filter((c) => tableKey(c.table) === tableKey(table)).map((c) => c.column.toLowerCase());
    if (!columns.length) continue;
    for (const trigger of table.triggers ?? []) {
      const called = /EXECUTE (?:FUNCTION|PROCEDURE) (.+?)\(/.exec(trigger.definition)?.[1] ?? '';
      const fn = (catalog.functions ?? []).find(
        (f) => called === f.name || called.endsWith(`.${f.name}`) || called.endsWith(`."${f.name}"`),
      );
      if (!fn) continue;
      const body = fn.body.toLowerCase();
      const read = columns.filter((c) =>
        new RegExp(`\\b(new|old)\\s*\\.\\s*"?${c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\b`).test(body),
      );
      if (!read.length) continue;
      findings.push({
        kind: 'trigger-function',
        table,
        columns: read,
        message:
          `Trigger ${trigger.name} on ${displayTable(table)} calls ` +
          `${displayTable({ schema: fn.schema, name: fn.name })}(${fn.arguments}), which reads ` +
          `${read.map((c) => `NEW/OLD.${c}`).join(', ')}; those become uuid and uuidmig cannot rewrite function ` +
          `bodies, so review it before apply.`,
      });
    }
  }
  return findings;
}
