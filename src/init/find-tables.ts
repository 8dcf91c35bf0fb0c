import { type CallExpression, Node, type ObjectLiteralExpression, type SourceFile, SyntaxKind } from 'ts-morph';
import { declarationOf, drizzleExport, isPgCore, PG_CORE, unwrap } from './source-files.js';
import type { ChainLink, ColumnInfo, TableInfo } from './types.js';

/**
 * The tables of a schema file, read from its syntax tree: every `pgTable('name', { ... })`,
 * `pgTable('name', (t) => ({ ... }))`, `schema.table(...)` of a `pgSchema('name')` and call of a
 * `pgTableCreator(...)`, each with the columns its builders make (`serial('id').primaryKey()`,
 * `t.integer()`, `pg.bigint('id', { mode: 'number' })`).
 */
export function findTables(file: SourceFile): TableInfo[] {
  const tables: TableInfo[] = [];
  for (const call of file.getDescendantsOfKind(SyntaxKind.CallExpression)) {
    const schema = tableSchema(call);
    if (schema === undefined) continue;
    const [nameArg, columnsArg, extraConfig] = call.getArguments();
    const columns = columnsArg && columnsObject(columnsArg);
    if (!columns) continue;
    const table: TableInfo = {
      file,
      call,
      schema,
      name: nameArg && stringValue(nameArg),
      columns: [],
      columnsObject: columns.object,
      extraConfig,
      primaryKeys: [],
    };
    for (const property of columns.object.getProperties()) {
      if (!Node.isPropertyAssignment(property)) continue;
      const prop = propertyName(property.getNameNode());
      const built = prop === undefined ? undefined : builderChain(property.getInitializer(), columns.builderParam);
      if (prop === undefined || !built) continue;
      const [first] = built.builderCall.getArguments();
      const sqlName = (first && stringValue(first)) ?? prop;
      table.columns.push({ table, property, prop, sqlName, ...built });
    }
    tables.push(table);
  }
  return tables;
}

/** The schema a table call puts its table in, or undefined when the call makes no table. */
function tableSchema(call: CallExpression): string | undefined {
  const callee = call.getExpression();
  if (isPgCore(callee, 'pgTable')) return 'public';
  if (Node.isPropertyAccessExpression(callee)) {
    if (callee.getName() === 'withRLS' && isPgCore(callee.getExpression(), 'pgTable')) return 'public';
    const made = madeBy(callee.getExpression());
    if (callee.getName() === 'table' && made && isPgCore(made.getExpression(), 'pgSchema')) {
      const [name] = made.getArguments();
      return name && stringValue(name);
    }
    return undefined;
  }
  const made = madeBy(callee);
  return made && isPgCore(made.getExpression(), 'pgTableCreator') ? 'public' : undefined;
}

/** The call a variable was made with: `pgSchema('admin')` for `admin`, wherever `admin` is declared. */
function madeBy(node: Node): CallExpression | undefined {
  if (!Node.isIdentifier(node) && !Node.isPropertyAccessExpression(node)) return undefined;
  const declaration = declarationOf(node);
  const initializer = Node.isVariableDeclaration(declaration) ? declaration.getInitializer() : undefined;
  const value = initializer && unwrap(initializer);
  return Node.isCallExpression(value) ? value : undefined;
}

/** The columns object: `{ ... }`, or what `(t) => ({ ... })` returns (with `t`, the builders). */
function columnsObject(arg: Node): { object: ObjectLiteralExpression; builderParam?: Node } | undefined {
  const value = unwrap(arg);
  if (Node.isObjectLiteralExpression(value)) return { object: value };
  if (!Node.isArrowFunction(value) && !Node.isFunctionExpression(value)) return undefined;
  const returned = returnedExpression(value);
  const object = returned && unwrap(returned);
  if (!Node.isObjectLiteralExpression(object)) return undefined;
  return { object, builderParam: value.getParameters()[0] };
}

/** What an arrow function or function expression returns: its expression body or its first `return`. */
export function returnedExpression(fn: Node): Node | undefined {
  if (!Node.isArrowFunction(fn) && !Node.isFunctionExpression(fn)) return undefined;
  const body = fn.getBody();
  if (!Node.isBlock(body)) return body;
  return body.getStatements().find(Node.isReturnStatement)?.getExpression();
}

type Built = Pick<ColumnInfo, 'builder' | 'builderCall' | 'builderName' | 'bare' | 'links'>;

/** Split `serial('id').primaryKey().notNull()` into its builder call and the links after it. */
function builderChain(initializer: Node | undefined, builderParam: Node | undefined): Built | undefined {
  const links: ChainLink[] = [];
  let current = initializer && unwrap(initializer);
  while (Node.isCallExpression(current)) {
    const callee = current.getExpression();
    if (Node.isIdentifier(callee)) {
      const found = drizzleExport(callee);
      if (found?.module !== PG_CORE) return undefined;
      return { builder: found.name, builderCall: current, builderName: callee, bare: true, links };
    }
    if (!Node.isPropertyAccessExpression(callee)) return undefined;
    const receiver = callee.getExpression();
    const param = Node.isIdentifier(receiver) ? receiver.getSymbol()?.getDeclarations()[0] : undefined;
    const ofBuilders = param !== undefined && param.compilerNode === builderParam?.compilerNode;
    if (ofBuilders || drizzleExport(callee)?.module === PG_CORE) {
      const builderName = callee.getNameNode();
      return { builder: callee.getName(), builderCall: current, builderName, bare: false, links };
    }
    links.unshift({ name: callee.getName(), call: current });
    current = receiver;
  }
  return undefined;
}

/** The text of a string literal; undefined for anything computed. */
export function stringValue(node: Node): string | undefined {
  return Node.isStringLiteral(node) || Node.isNoSubstitutionTemplateLiteral(node) ? node.getLiteralValue() : undefined;
}

/** A property's name: `id`, `'user id'`; undefined for a computed one. */
export const propertyName = (node: Node): string | undefined =>
  Node.isIdentifier(node) ? node.getText() : stringValue(node);
