import { Node } from 'ts-morph';
import { stringValue } from './find-tables.js';
import { declarationOf, unwrap } from './source-files.js';
import type { ColumnInfo, TableInfo } from './types.js';

/**
 * Which table and column an expression of the schema stands for, through the program's symbols:
 * `users.id` with `users` declared here or imported from another schema file (under any alias, through
 * a barrel), and `t.authorId` with `t` the table callback's parameter.
 */
export class Resolver {
  private readonly byCall = new Map<unknown, TableInfo>();
  private readonly byCallback = new Map<unknown, TableInfo>();

  constructor(readonly tables: TableInfo[]) {
    for (const table of tables) {
      this.byCall.set(table.call.compilerNode, table);
      const callback = table.extraConfig && unwrap(table.extraConfig);
      if (callback) this.byCallback.set(callback.compilerNode, table);
    }
  }

  table(expression: Node): TableInfo | undefined {
    const node = unwrap(expression);
    if (!Node.isIdentifier(node) && !Node.isPropertyAccessExpression(node)) return undefined;
    const declaration = declarationOf(node);
    if (Node.isParameterDeclaration(declaration)) return this.byCallback.get(declaration.getParent().compilerNode);
    if (!Node.isVariableDeclaration(declaration)) return undefined;
    const initializer = declaration.getInitializer();
    return initializer && this.byCall.get(unwrap(initializer).compilerNode);
  }

  /** The column `users.id`, `t.authorId` or `t['author id']` stands for. */
  column(expression: Node): ColumnInfo | undefined {
    const node = unwrap(expression);
    let owner: Node;
    let prop: string | undefined;
    if (Node.isPropertyAccessExpression(node)) {
      owner = node.getExpression();
      prop = node.getName();
    } else if (Node.isElementAccessExpression(node)) {
      owner = node.getExpression();
      const argument = node.getArgumentExpression();
      prop = argument && stringValue(argument);
    } else {
      return undefined;
    }
    if (prop === undefined) return undefined;
    return this.table(owner)?.columns.find((c) => c.prop === prop);
  }
}
