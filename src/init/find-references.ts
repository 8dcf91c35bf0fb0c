import { type CallExpression, Node, type SourceFile, SyntaxKind } from 'ts-morph';
import { definedRelations } from './define-relations.js';
import { returnedExpression, stringValue } from './find-tables.js';
import type { Resolver } from './resolve.js';
import { isPgCore, unwrap } from './source-files.js';
import type { ColumnInfo, OpclassSite, Reference } from './types.js';

export interface Found {
  references: Reference[];
  /** Columns with a `.references()`, `foreignKey()` or relation the codemod could not follow to a column. */
  unresolved: ColumnInfo[];
  opclasses: OpclassSite[];
}

/**
 * Everything that ties columns together, in every schema file: `.references(() => users.id)`,
 * `foreignKey({ columns, foreignColumns })`, the `fields`/`references` of `relations()`, the
 * `from`/`to` (and `through`) of drizzle-orm 1.0's `defineRelations()`, and
 * `primaryKey({ columns })` (into each table's `primaryKeys`); and the `.op('int4_ops')` of indexes.
 */
export function findReferences(files: SourceFile[], resolver: Resolver): Found {
  const found: Found = { references: [], unresolved: [], opclasses: [] };
  for (const table of resolver.tables) {
    for (const column of table.columns) {
      for (const link of column.links.filter((l) => l.name === 'references')) {
        const [callback] = link.call.getArguments();
        const target = callback && returnedExpression(unwrap(callback));
        const parent = target && resolver.column(target);
        if (parent) found.references.push({ source: 'references', pairs: [{ child: column, parent }] });
        else found.unresolved.push(column);
      }
    }
  }
  const defined: CallExpression[] = [];
  for (const file of files) {
    for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      const callee = call.getExpression();
      if (isPgCore(callee, 'defineRelations') || isPgCore(callee, 'defineRelationsPart')) defined.push(call);
      else if (isPgCore(callee, 'primaryKey')) primaryKey(call, resolver);
      else if (isPgCore(callee, 'foreignKey')) {
        const config = objectArgument(call);
        pairs(config?.columns, config?.foreignColumns, 'foreignKey', resolver, found);
      } else if (isPgCore(callee, 'relations')) {
        for (const object of call.getDescendantsOfKind(SyntaxKind.ObjectLiteralExpression)) {
          const config = arrays(object);
          if (config.fields && config.references) pairs(config.fields, config.references, 'relations', resolver, found);
        }
      } else if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'op') {
        opclass(call, resolver, found);
      }
    }
  }
  // After every file's primaryKey(): which side of a 1.0 relation is the parent depends on the keys.
  for (const call of defined) found.references.push(...definedRelations(call, resolver, found));
  return found;
}

/** `primaryKey({ columns: [t.a, t.b] })`, or the older `primaryKey(t.a, t.b)`, on its table. */
function primaryKey(call: CallExpression, resolver: Resolver): void {
  const listed = objectArgument(call)?.columns ?? call.getArguments();
  const columns = listed.map((e) => resolver.column(e));
  const table = columns[0]?.table;
  if (table && columns.every((c): c is ColumnInfo => c?.table === table)) table.primaryKeys.push(columns);
}

function pairs(
  children: Node[] | undefined,
  parents: Node[] | undefined,
  source: Reference['source'],
  resolver: Resolver,
  found: Found,
): void {
  if (!children || !parents) return;
  const reference: Reference = { source, pairs: [] };
  children.forEach((expression, i) => {
    const child = resolver.column(expression);
    const parentExpression = parents[i];
    const parent = parentExpression && resolver.column(parentExpression);
    if (child && parent) reference.pairs.push({ child, parent });
    else if (child) found.unresolved.push(child);
  });
  if (reference.pairs.length) found.references.push(reference);
}

/** `table.x.asc().nullsLast().op('int4_ops')`: the column under the ordering calls, and the literal. */
function opclass(call: CallExpression, resolver: Resolver, found: Found): void {
  const [literal] = call.getArguments();
  const opclass = literal && stringValue(literal);
  if (!literal || opclass === undefined) return;
  const callee = call.getExpression();
  let receiver = Node.isPropertyAccessExpression(callee) ? callee.getExpression() : undefined;
  while (Node.isCallExpression(receiver)) {
    const inner = receiver.getExpression();
    receiver = Node.isPropertyAccessExpression(inner) ? inner.getExpression() : undefined;
  }
  if (!receiver) return;
  const column = resolver.column(receiver);
  if (column) found.opclasses.push({ column, literal, opclass });
}

function objectArgument(call: CallExpression): { columns?: Node[]; foreignColumns?: Node[] } | undefined {
  const [first] = call.getArguments();
  const object = first && unwrap(first);
  return Node.isObjectLiteralExpression(object) ? arrays(object) : undefined;
}

/** The array-valued properties of an object literal: `{ columns: [t.a], foreignColumns: [users.id] }`. */
function arrays(object: Node): Record<string, Node[] | undefined> {
  const result: Record<string, Node[] | undefined> = {};
  if (!Node.isObjectLiteralExpression(object)) return result;
  for (const property of object.getProperties()) {
    if (!Node.isPropertyAssignment(property)) continue;
    const value = unwrap(property.getInitializerOrThrow());
    if (Node.isArrayLiteralExpression(value)) result[property.getName()] = value.getElements();
  }
  return result;
}
