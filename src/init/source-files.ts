import fs from 'node:fs';
import path from 'node:path';
import { Node, Project, type SourceFile, ts } from 'ts-morph';
import { UsageError } from '../errors.js';

/**
 * The schema files parsed into one TypeScript program held in memory: imports between them resolve
 * (`import { users } from './users'`, `.js` suffixes, `export *` barrels), drizzle-orm itself does
 * not need to (the codemod only asks which import a name comes from), and nothing is read but these
 * files.
 */
export function loadSourceFiles(files: string[]): SourceFile[] {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      noLib: true,
      allowJs: true,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      target: ts.ScriptTarget.ES2022,
    },
  });
  const sources = files.map((file) => project.createSourceFile(file, fs.readFileSync(file, 'utf8')));
  const program = project.getProgram().compilerObject;
  for (const source of sources) {
    const [problem] = program.getSyntacticDiagnostics(source.compilerNode);
    if (problem) {
      const { line } = source.getLineAndColumnAtPos(problem.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(problem.messageText, ' ').replace(/\.$/, '');
      throw new UsageError(`The Drizzle schema file ${relative(source)} does not parse: line ${line}: ${message}.`);
    }
  }
  return sources;
}

export const relative = (source: SourceFile): string => path.relative(process.cwd(), source.getFilePath()) || '.';

/**
 * Which drizzle-orm export a name stands for: `serial` imported from drizzle-orm/pg-core (under any
 * alias), or `pg.serial` of `import * as pg from 'drizzle-orm/pg-core'`. Undefined for anything else.
 */
export function drizzleExport(callee: Node): { module: string; name: string } | undefined {
  if (Node.isPropertyAccessExpression(callee)) {
    const declaration = callee.getExpression().getSymbol()?.getDeclarations()[0];
    if (!Node.isNamespaceImport(declaration)) return undefined;
    const module = declaration.getFirstAncestorByKind(ts.SyntaxKind.ImportDeclaration)?.getModuleSpecifierValue();
    return module?.startsWith('drizzle-orm') ? { module, name: callee.getName() } : undefined;
  }
  if (!Node.isIdentifier(callee)) return undefined;
  const declaration = callee.getSymbol()?.getDeclarations()[0];
  if (!Node.isImportSpecifier(declaration)) return undefined;
  const module = declaration.getImportDeclaration().getModuleSpecifierValue();
  return module.startsWith('drizzle-orm') ? { module, name: declaration.getName() } : undefined;
}

export const PG_CORE = 'drizzle-orm/pg-core';

/** Exports of drizzle-orm itself (or 1.0's `drizzle-orm/_relations`), not of pg-core. */
const ORM_EXPORTS = new Set(['relations', 'defineRelations', 'defineRelationsPart']);

/** Whether `callee` is drizzle-orm/pg-core's `name` (for `relations` and `defineRelations`, drizzle-orm's). */
export function isPgCore(callee: Node, name: string): boolean {
  const found = drizzleExport(callee);
  if (!found || found.name !== name) return false;
  return ORM_EXPORTS.has(name) ? found.module !== PG_CORE : found.module === PG_CORE;
}

/**
 * The declaration a name stands for, through imports, aliases and re-exports between the schema
 * files (`users` in `() => users.id`, `s.users` of a namespace import).
 */
export function declarationOf(node: Node): Node | undefined {
  const target = Node.isPropertyAccessExpression(node) ? node.getNameNode() : node;
  let symbol = target.getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol();
  return symbol?.getDeclarations()[0];
}

/** `x as T`, `(x)`, `x satisfies T`, `x!`: the expression inside. */
export function unwrap(node: Node): Node {
  let current = node;
  while (
    Node.isParenthesizedExpression(current) ||
    Node.isAsExpression(current) ||
    Node.isSatisfiesExpression(current) ||
    Node.isNonNullExpression(current)
  ) {
    current = current.getExpression();
  }
  return current;
}
