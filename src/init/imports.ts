import { type ImportDeclaration, type ImportSpecifier, Node, Project, type SourceFile, SyntaxKind } from 'ts-morph';
import { applyEdits, type Edit } from './edits.js';
import { PG_CORE } from './source-files.js';

/**
 * The names a file binds at its top level (`taken`), and the local name of each value it imports from
 * drizzle-orm/pg-core (`pgCore`: `integer` -> `integer`, or `int` for `integer as int`).
 */
export function localNames(file: SourceFile): { pgCore: Map<string, string>; taken: Set<string> } {
  const pgCore = new Map<string, string>();
  const taken = new Set<string>();
  for (const declaration of file.getImportDeclarations()) {
    for (const name of [declaration.getDefaultImport(), declaration.getNamespaceImport()]) {
      if (name) taken.add(name.getText());
    }
    for (const specifier of declaration.getNamedImports()) {
      const local = specifier.getAliasNode()?.getText() ?? specifier.getName();
      taken.add(local);
      if (isValueImportOfPgCore(declaration) && !specifier.isTypeOnly()) pgCore.set(specifier.getName(), local);
    }
  }
  for (const statement of file.getStatements()) {
    if (Node.isVariableStatement(statement)) {
      for (const declaration of statement.getDeclarations()) {
        const name = declaration.getNameNode();
        const ids = Node.isIdentifier(name) ? [name] : name.getDescendantsOfKind(SyntaxKind.Identifier);
        for (const id of ids) taken.add(id.getText());
      }
    } else if (Node.hasName(statement)) {
      taken.add(statement.getName());
    }
  }
  return { pgCore, taken };
}

const isValueImportOfPgCore = (declaration: ImportDeclaration): boolean =>
  declaration.getModuleSpecifierValue() === PG_CORE && !declaration.isTypeOnly();

/**
 * Put the file's drizzle-orm/pg-core import right after its columns changed: add what the new text
 * calls (`uuid`, before the first name that sorts after it, else last), and drop what it no longer
 * calls (`serial`, `integer`): only names the codemod replaced, never another unused import of the
 * user's. The list keeps its layout: one line or one name a line, its trailing comma.
 */
export function fixImports(path: string, text: string, needs: Map<string, string>, replaced: Set<string>): string {
  const file = new Project({ useInMemoryFileSystem: true }).createSourceFile(path, text);
  const { pgCore } = localNames(file);
  const declarations = file.getImportDeclarations().filter(isValueImportOfPgCore);
  const unused = [...replaced].filter((local) => !isUsed(file, local));
  const localOf = (n: ImportSpecifier) => n.getAliasNode()?.getText() ?? n.getName();
  // The names added go to an import that keeps a name of its own, if there is one.
  const lists = declarations.filter((d) => !d.getNamespaceImport() && d.getNamedImports().length > 0);
  const target = lists.find((d) => d.getNamedImports().some((n) => !unused.includes(localOf(n)))) ?? lists[0];
  const added = [...needs]
    .filter(([exportName]) => !pgCore.has(exportName))
    .map(([name, local]) => ({ exportName: name, specifier: local === name ? name : `${name} as ${local}` }));
  const removals: Edit[] = [];
  let placed = false;
  for (const declaration of declarations) {
    const named = declaration.getNamedImports();
    const gone = named.map((n) => unused.includes(localOf(n)));
    if (!gone.includes(true)) continue;
    const kept = gone.lastIndexOf(false);
    if (kept === -1) {
      // Every name goes: the list becomes the names added, or the import goes.
      if (declaration === target && added.length) {
        placed = true;
        const names = added.map((a) => a.specifier).join(', ');
        removals.push({ start: named[0]!.getStart(), end: named.at(-1)!.getEnd(), text: names });
      } else if (!declaration.getDefaultImport()) {
        removals.push(removal(declaration.getStart(), lineEnd(text, declaration.getEnd())));
      }
      continue;
    }
    // A name goes with the comma after it; a run at the end of the list, with the comma before it.
    named.forEach((n, i) => {
      if (gone[i] && i < kept) removals.push(removal(n.getStart(), named[i + 1]!.getStart()));
    });
    if (kept < named.length - 1) removals.push(removal(named[kept]!.getEnd(), named.at(-1)!.getEnd()));
  }
  const edits: Edit[] = [];
  const named = target?.getNamedImports() ?? [];
  const separator = separatorOf(named, text);
  for (const { exportName, specifier } of placed ? [] : added) {
    const before = named.find((n) => n.getName().toLowerCase() > exportName.toLowerCase());
    if (before) edits.push(insertion(before.getStart(), `${specifier}${separator}`));
    else if (named.length) edits.push(insertion(named.at(-1)!.getEnd(), `${separator}${specifier}`));
    else edits.push(newImport(file, specifier));
  }
  edits.push(...removals);
  return applyEdits(text, edits);
}

const insertion = (at: number, text: string): Edit => ({ start: at, end: at, text });
const removal = (start: number, end: number): Edit => ({ start, end, text: '' });
const lineEnd = (text: string, at: number) => (text[at] === '\n' ? at + 1 : text.startsWith('\r\n', at) ? at + 2 : at);

/** What separates two names of the list: `, `, or a comma, a newline and the indentation. */
function separatorOf(named: ImportSpecifier[], text: string): string {
  const between = named.length > 1 ? text.slice(named[0]!.getEnd(), named[1]!.getStart()) : '';
  if (between.trim() === ',') return between;
  const first = named[0];
  if (!first || first.getStartLineNumber() === first.getImportDeclaration().getStartLineNumber()) return ', ';
  const start = first.getStart();
  const newline = text.includes('\r\n') ? '\r\n' : '\n';
  return `,${newline}${text.slice(text.lastIndexOf('\n', start - 1) + 1, start)}`;
}

/** `import { uuid } from 'drizzle-orm/pg-core';` after the last import, in the file's quotes. */
function newImport(file: SourceFile, specifier: string): Edit {
  const last = file.getImportDeclarations().at(-1);
  const quote = last?.getModuleSpecifier().getText()[0] ?? "'";
  const semicolon = !last || last.getText().endsWith(';') ? ';' : '';
  const statement = `import { ${specifier} } from ${quote}${PG_CORE}${quote}${semicolon}`;
  return last ? insertion(last.getEnd(), `\n${statement}`) : insertion(0, `${statement}\n`);
}

/** Whether a name is still used outside the imports (not counting `t.serial`, or a key named `serial`). */
function isUsed(file: SourceFile, name: string): boolean {
  return file.getDescendantsOfKind(SyntaxKind.Identifier).some((id) => {
    if (id.getText() !== name || id.getFirstAncestorByKind(SyntaxKind.ImportDeclaration)) return false;
    const parent = id.getParent();
    if (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === id) return false;
    return !(Node.isPropertyAssignment(parent) && parent.getNameNode() === id);
  });
}
