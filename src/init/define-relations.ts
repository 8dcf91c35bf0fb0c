import { type CallExpression, Node, SyntaxKind } from 'ts-morph';
import type { Found } from './find-references.js';
import type { Resolver } from './resolve.js';
import { declarationOf, unwrap } from './source-files.js';
import type { ColumnInfo, Reference, TableInfo } from './types.js';

/**
 * drizzle-orm 1.0's `defineRelations({ users, posts }, (r) => ({ posts: { author: r.one.users({ from:
 * r.posts.authorId, to: r.users.id }) } }))`: its tables are named by the keys of its first argument
 * (an object of tables, or `import * as schema`), and each `from`/`to` is `r.<key>.<column>`, a list of
 * them, or `r.<key>.<column>.through(r.<junction>.<column>)`. A relation does not say which side holds
 * the reference: the parent is the side whose columns are a key (primary first, then unique), else `to`.
 */
export function definedRelations(call: CallExpression, resolver: Resolver, found: Found): Reference[] {
  const [tablesArg, callback] = call.getArguments();
  const keys = tablesArg ? tableKeys(tablesArg, resolver) : new Map<string, TableInfo>();
  if (!callback) return [];
  const column = (node: Node): ColumnInfo | undefined => {
    const access = unwrap(node);
    if (!Node.isPropertyAccessExpression(access)) return undefined;
    const owner = unwrap(access.getExpression());
    if (!Node.isPropertyAccessExpression(owner)) return undefined;
    return keys.get(owner.getName())?.columns.find((c) => c.prop === access.getName());
  };
  const references: Reference[] = [];
  for (const object of callback.getDescendantsOfKind(SyntaxKind.ObjectLiteralExpression)) {
    const from = side(object, 'from');
    const to = side(object, 'to');
    if (!from || !to || from.length !== to.length) continue;
    const pairs = (children: (Node | undefined)[], parents: (Node | undefined)[]) =>
      children.flatMap((c, i) => {
        const child = c && column(c);
        const parent = parents[i] && column(parents[i]!);
        if (child && !parent) found.unresolved.push(child);
        return child && parent ? [{ child, parent }] : [];
      });
    const through = [...from, ...to].some((s) => s.through);
    if (through) {
      for (const list of [from, to]) {
        const reference = pairs(
          list.map((s) => s.through),
          list.map((s) => s.column),
        );
        if (reference.length) references.push({ source: 'relations', pairs: reference });
      }
      continue;
    }
    const fromColumns = from.map((s) => column(s.column));
    const toColumns = to.map((s) => column(s.column));
    const [child, parent] = parentLast(fromColumns, toColumns) ? [from, to] : [to, from];
    const reference = pairs(
      child.map((s) => s.column),
      parent.map((s) => s.column),
    );
    if (reference.length) references.push({ source: 'relations', pairs: reference });
  }
  return references;
}

/** `from: r.a.x`, `from: [r.a.x, r.a.y]`, each maybe `.through(r.j.z)`. */
function side(object: Node, name: string): { column: Node; through?: Node }[] | undefined {
  if (!Node.isObjectLiteralExpression(object)) return undefined;
  const property = object.getProperty(name);
  if (!Node.isPropertyAssignment(property)) return undefined;
  const value = unwrap(property.getInitializerOrThrow());
  const elements = Node.isArrayLiteralExpression(value) ? value.getElements() : [value];
  return elements.map((element) => {
    const node = unwrap(element);
    if (!Node.isCallExpression(node)) return { column: node };
    const callee = node.getExpression();
    const [argument] = node.getArguments();
    if (Node.isPropertyAccessExpression(callee) && callee.getName() === 'through' && argument)
      return { column: callee.getExpression(), through: argument };
    return { column: node };
  });
}

/** Whether `to` is the parent: its columns are a primary key, else a unique one, unless `from`'s are first. */
function parentLast(from: (ColumnInfo | undefined)[], to: (ColumnInfo | undefined)[]): boolean {
  for (const primaryOnly of [true, false]) {
    if (isKey(to, primaryOnly)) return true;
    if (isKey(from, primaryOnly)) return false;
  }
  return true;
}

/** Whether the columns are their table's primary key (or, unless `primaryOnly`, a unique column). */
function isKey(columns: (ColumnInfo | undefined)[], primaryOnly: boolean): boolean {
  const table = columns[0]?.table;
  if (!table || !columns.every((c) => c?.table === table)) return false;
  const single = columns.length === 1 ? columns[0]! : undefined;
  const linked = (name: string) => single?.links.some((l) => l.name === name) ?? false;
  if (
    linked('primaryKey') ||
    table.primaryKeys.some((k) => k.length === columns.length && k.every((c) => columns.includes(c)))
  )
    return true;
  return !primaryOnly && linked('unique');
}

/** The tables `defineRelations` was given, by the key `r.<key>` names them with. */
function tableKeys(node: Node, resolver: Resolver): Map<string, TableInfo> {
  const keys = new Map<string, TableInfo>();
  const expression = unwrap(node);
  if (Node.isObjectLiteralExpression(expression)) {
    for (const property of expression.getProperties()) {
      if (Node.isShorthandPropertyAssignment(property)) {
        let symbol = property.getValueSymbol();
        if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol();
        const variable = symbol?.getDeclarations()[0];
        const table = Node.isVariableDeclaration(variable) ? resolver.table(variable.getNameNode()) : undefined;
        if (table) keys.set(property.getName(), table);
      } else if (Node.isPropertyAssignment(property)) {
        const table = resolver.table(property.getInitializerOrThrow());
        if (table) keys.set(property.getName(), table);
      } else if (Node.isSpreadAssignment(property)) {
        for (const [k, t] of tableKeys(property.getExpression(), resolver)) keys.set(k, t);
      }
    }
    return keys;
  }
  const declaration = Node.isIdentifier(expression) ? declarationOf(expression) : undefined;
  // `import * as schema from './schema'`: the name stands for that file.
  if (Node.isSourceFile(declaration) || Node.isNamespaceImport(declaration)) {
    const source = Node.isSourceFile(declaration)
      ? declaration
      : declaration.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)?.getModuleSpecifierSourceFile();
    for (const [name, declarations] of source?.getExportedDeclarations() ?? []) {
      const variable = declarations.find((d) => Node.isVariableDeclaration(d));
      const table = Node.isVariableDeclaration(variable) && resolver.table(variable.getNameNode());
      if (table) keys.set(name, table);
    }
  } else if (Node.isVariableDeclaration(declaration) && declaration.getInitializer()) {
    return tableKeys(declaration.getInitializerOrThrow(), resolver);
  }
  return keys;
}
