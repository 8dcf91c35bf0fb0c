import type postgres from 'postgres';

class RolledBack extends Error {}

/** Run `work` in a transaction that is always rolled back; errors (and failed assertions) propagate. */
export async function inRolledBackTransaction(
  sql: postgres.Sql,
  work: (tx: postgres.TransactionSql) => Promise<void>,
): Promise<void> {
  await sql
    .begin(async (tx) => {
      await work(tx);
      throw new RolledBack();
    })
    .catch((error) => {
      if (!(error instanceof RolledBack)) throw error;
    });
}
