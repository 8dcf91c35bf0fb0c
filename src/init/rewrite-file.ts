import { type CallExpression, Node, type SourceFile, SyntaxKind, ts } from 'ts-morph';
import { applyEdits, type Edit } from './edits.js';
import { stringValue } from './find-tables.js';
import { localNames } from './imports.js';
import { unwrap } from './source-files.js';
import type { ChainLink, ColumnInfo, OpclassSite } from './types.js';

/** One file's edits, and what they need of its drizzle-orm/pg-core import. */
export class FileRewrite {
  readonly edits: Edit[] = [];
  /** pg-core exports the new text calls bare, export name -> local name (`uuid` -> `uuid`). */
  readonly needs = new Map<string, string>();
  /** Local names of bare builders that were replaced: their import goes if nothing else uses them. */
  readonly replaced = new Set<string>();
  private readonly names: ReturnType<typeof localNames>;

  constructor(readonly file: SourceFile) {
    this.names = localNames(file);
  }

  /** The local name of a pg-core export: the one it is imported under, else a free one to import it as. */
  localName(exportName: string): string {
    const known = this.names.pgCore.get(exportName) ?? this.needs.get(exportName);
    if (known) return known;
    const taken = new Set([...this.names.taken, ...this.needs.values()]);
    const name = taken.has(exportName) ? `pg${exportName[0]!.toUpperCase()}${exportName.slice(1)}` : exportName;
    this.needs.set(exportName, name);
    return name;
  }

  private replace(node: Node, text: string): void {
    this.edits.push({ start: node.getStart(), end: node.getEnd(), text });
  }

  /**
   * `serial('id').primaryKey()` -> `uuid('id').primaryKey().defaultRandom()` (a key), or
   * `integer('author_id').notNull()` -> `uuid('author_id').notNull()` (a reference): the builder's
   * name and options change; a key loses its identity and integer default and gets `.defaultRandom()`.
   */
  convertColumn(column: ColumnInfo, role: 'key' | 'reference'): void {
    if (column.bare) {
      this.replaced.add(column.builderName.getText());
      this.replace(column.builderName, this.localName('uuid'));
    } else {
      this.replace(column.builderName, 'uuid');
    }
    const args = column.builderCall.getArguments();
    const keep = args[0] && !Node.isObjectLiteralExpression(unwrap(args[0])) ? 1 : 0;
    if (args.length > keep) {
      const start = keep ? args[0]!.getEnd() : args[0]!.getStart();
      this.edits.push({ start, end: args.at(-1)!.getEnd(), text: '' });
    }
    for (const { call } of column.links.filter(isNumberType)) this.removeLink(call);
    if (role === 'reference') return;
    const dropped = column.links.filter((l) => DROPPED_FROM_KEYS.has(l.name));
    dropped.forEach(({ call }, i) => {
      const access = call.getExpression();
      if (!Node.isPropertyAccessExpression(access)) return;
      if (i === 0)
        this.edits.push({ start: access.getNameNode().getStart(), end: call.getEnd(), text: 'defaultRandom()' });
      else this.removeLink(call);
    });
    if (!dropped.length) {
      const end = (column.links.at(-1)?.call ?? column.builderCall).getEnd();
      this.edits.push({ start: end, end, text: '.defaultRandom()' });
    }
  }

  /** `x.default(0)` -> `x`: the link goes with the line break and the dot before it. */
  private removeLink(call: CallExpression): void {
    const access = call.getExpression();
    if (Node.isPropertyAccessExpression(access))
      this.edits.push({ start: access.getExpression().getEnd(), end: call.getEnd(), text: '' });
  }

  /** `.op('int4_ops')` -> `.op('uuid_ops')`, quotes kept. */
  convertOpclass(site: OpclassSite): boolean {
    const opclass = UUID_OPCLASS.get(site.opclass);
    if (!opclass) return false;
    this.edits.push({ start: site.literal.getStart() + 1, end: site.literal.getEnd() - 1, text: opclass });
    return true;
  }

  /**
   * Declare the key's old integer after it, as `plan` keeps it: `legacyId: integer('legacy_id')`
   * (`bigint('legacy_id', { mode: 'number' })` for a bigint key, its own mode kept), on a line of its
   * own when the columns are one a line.
   */
  addLegacyColumn(key: ColumnInfo, legacyName: string): void {
    const type = LEGACY_TYPE[key.builder]!;
    const builder = key.builderCall.getExpression();
    const callee = Node.isPropertyAccessExpression(builder)
      ? `${builder.getExpression().getText()}.${type}`
      : this.localName(type);
    const q = quoteOf(key);
    const mode = key.builderCall.getArguments().find((a) => hasMode(a));
    const options = type !== 'bigint' ? '' : `, ${mode ? mode.getText() : `{ mode: ${q}number${q} }`}`;
    this.insertAfter(key, `${camelCase(legacyName)}: ${callee}(${q}${legacyName}${q}${options})`);
  }

  /**
   * A new property after the key's: on a line of its own, after the key's comma and its trailing
   * comment, when the columns are one a line; else right after the key, on its line.
   */
  private insertAfter(key: ColumnInfo, property: string): void {
    const text = this.file.getFullText();
    const start = key.property.getStart();
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const indentation = text.slice(lineStart, start);
    const comma = key.property.getNextSiblingIfKind(SyntaxKind.CommaToken);
    const line = key.property.getStartLineNumber();
    const crowded =
      line === key.table.columnsObject.getStartLineNumber() ||
      indentation.trim() !== '' ||
      (comma !== undefined && comma.getNextSibling()?.getStartLineNumber() === comma.getEndLineNumber());
    if (crowded) {
      this.edits.push({ start: key.property.getEnd(), end: key.property.getEnd(), text: `, ${property}` });
      return;
    }
    const newline = text.includes('\r\n') ? '\r\n' : '\n';
    if (!comma) {
      const end = key.property.getEnd();
      this.edits.push({ start: end, end, text: `,${newline}${indentation}${property}` });
      return;
    }
    const end = ts.getTrailingCommentRanges(text, comma.getEnd())?.at(-1)?.end ?? comma.getEnd();
    this.edits.push({ start: end, end, text: `${newline}${indentation}${property},` });
  }

  /** The file's text with every edit made. */
  apply(): string {
    return applyEdits(this.file.getFullText(), this.edits);
  }
}

/** What a key keeps no longer: its identity and its integer default; `.defaultRandom()` takes their place. */
const DROPPED_FROM_KEYS = new Set([
  'generatedAlwaysAsIdentity',
  'generatedByDefaultAsIdentity',
  'default',
  '$default',
  '$defaultFn',
]);

/** `.$type<number>()`: a uuid is a string (a branded `.$type<UserId>()` is the team's own, and stays). */
const isNumberType = (link: ChainLink): boolean =>
  link.name === '$type' &&
  [SyntaxKind.NumberKeyword, SyntaxKind.BigIntKeyword].includes(link.call.getTypeArguments()[0]?.getKind() ?? 0);

const LEGACY_TYPE: Record<string, string> = {
  serial: 'integer',
  integer: 'integer',
  int4: 'integer',
  smallserial: 'smallint',
  smallint: 'smallint',
  bigserial: 'bigint',
  bigint: 'bigint',
  int8: 'bigint',
};

/** Integer operator classes and their uuid counterparts, for btree/hash and brin. */
const UUID_OPCLASS = new Map(
  ['int2', 'int4', 'int8'].flatMap((t) =>
    ['_ops', '_minmax_ops', '_minmax_multi_ops', '_bloom_ops'].map((s) => [`${t}${s}`, `uuid${s}`] as const),
  ),
);

export const camelCase = (name: string): string => name.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());

const hasMode = (node: Node): boolean => {
  const value = unwrap(node);
  return Node.isObjectLiteralExpression(value) && value.getProperty('mode') !== undefined;
};

/** The quote the file writes names with: the key's own name, else its drizzle-orm import. */
function quoteOf(key: ColumnInfo): string {
  const [first] = key.builderCall.getArguments();
  if (first && stringValue(first) !== undefined) return first.getText()[0]!;
  const specifier = key.table.file.getImportDeclarations()[0]?.getModuleSpecifier().getText();
  return specifier?.[0] === '"' ? '"' : "'";
}
