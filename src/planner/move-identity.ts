import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { ColumnModel, SequenceModel, TableModel } from '../model/types.js';
import { grantee } from './bound-steps.js';
import { doBlock } from './sql-text.js';
import { type StepDraft, step } from './step.js';

/**
 * PostgreSQL cannot move an identity: it is dropped from one column (its sequence goes with it) and
 * made on the other, the same, in one statement that reads the sequence's name, options and position
 * at run time. The new sequence starts with the default privileges and no comment, so the grants and
 * comment the catalog recorded on the old one follow at once, in the same stage: apply moving the
 * identity onto the legacy column and rollback moving it back both leave the sequence as it was.
 */
export function moveIdentity(table: TableModel, column: ColumnModel, from: string, to: string): StepDraft[] {
  return [
    remakeIdentity(table, column.identity!, from, to),
    ...(column.sequence ? keepSequence(table, column.sequence) : []),
  ];
}

function remakeIdentity(table: TableModel, kind: 'always' | 'by default', from: string, to: string): StepDraft {
  const t = qualifyTable(table);
  const body = [
    `seq regclass := pg_get_serial_sequence(${quoteLiteral(t)}, ${quoteLiteral(from)})::regclass;`,
    'name text; s pg_sequence; last bigint; called boolean;',
    'BEGIN',
    `SELECT format('%I.%I', n.nspname, c.relname) INTO name FROM pg_class AS c`,
    '  JOIN pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = seq;',
    'SELECT * INTO s FROM pg_sequence WHERE seqrelid = seq;',
    `EXECUTE format('SELECT last_value, is_called FROM %s', name) INTO last, called;`,
    `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(from)} DROP IDENTITY;`,
    `EXECUTE format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED ${kind === 'always' ? 'ALWAYS' : 'BY DEFAULT'} AS ` +
      "IDENTITY (SEQUENCE NAME %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s CYCLE)',",
    `  ${quoteLiteral(t)}, ${quoteLiteral(to)}, name, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,`,
    `  CASE WHEN s.seqcycle THEN '' ELSE 'NO' END);`,
    'PERFORM setval(name, last, called);',
  ];
  return step(
    'column',
    `the identity of ${from} moves to ${to}, its sequence, options and position kept`,
    doBlock(['DECLARE', ...body, 'END'].join('\n')),
    'ACCESS EXCLUSIVE',
    table,
  );
}

/**
 * The identity sequence made again gets the old one's grants, one privilege a statement in the ACL's
 * order (so the ACL and pg_dump's text read as before), and its comment. It has the same name, and
 * the table's owner, who may grant on it.
 */
function keepSequence(table: TableModel, sequence: SequenceModel): StepDraft[] {
  const name = qualify(sequence.schema, sequence.name);
  return [
    ...sequence.grants.map((g) =>
      step(
        'column',
        `the sequence ${sequence.name} keeps ${g.privilege} for ${g.grantee}`,
        `GRANT ${g.privilege} ON SEQUENCE ${name} TO ${grantee(g)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...(sequence.comment === null
      ? []
      : [
          step(
            'column',
            `the sequence ${sequence.name} keeps its comment`,
            `COMMENT ON SEQUENCE ${name} IS ${quoteLiteral(sequence.comment)}`,
            'ACCESS EXCLUSIVE',
            table,
          ),
        ]),
  ];
}
