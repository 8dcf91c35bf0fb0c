import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { quoteIdent } from '../../src/db/quote.js';

export interface TestDatabase {
  name: string;
  url: string;
  sql: postgres.Sql;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function adminUrl(): string {
  return inject('adminUrl');
}

/** A fresh, empty database on the run's server; `drop()` removes it. */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `t_${label.replace(/[^a-z0-9_]/gi, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${quoteIdent(name)}`);
  await admin.end();
  const url = withDatabase(adminUrl(), name);
  const sql = postgres(url, { max: 4, onnotice: () => {}, types: { bigint: postgres.BigInt } });
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end({ timeout: 5 });
      const a = postgres(adminUrl(), { max: 1, onnotice: () => {} });
      await a.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      await a.end();
    },
  };
}
