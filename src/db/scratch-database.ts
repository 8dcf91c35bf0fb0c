import { randomBytes } from 'node:crypto';
import { connect } from './connect.js';
import { quoteIdent } from './quote.js';

export interface ScratchDatabase {
  url: string;
  /** Drops it (FORCE: nothing of ours stays connected). */
  close(): Promise<void>;
}

/**
 * A database of its own on the server of `url`, named `<prefix>_<hex>` so whoever sees it knows whose
 * it is (keep the prefix within 50 bytes); with `template`, a copy of that database of the same server
 * (which nobody may be connected to, `url`'s own database included). Needs CREATEDB; the server's
 * refusal is thrown as it came.
 */
export async function scratchDatabase(url: string, prefix: string, template?: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = await connect(url, { max: 1 });
  try {
    const from = template ? ` TEMPLATE ${quoteIdent(template)}` : '';
    await admin.unsafe(`CREATE DATABASE ${quoteIdent(name)}${from}`);
  } catch (error) {
    await admin.end({ timeout: 5 });
    throw error;
  }
  const scratch = new URL(url);
  scratch.pathname = `/${name}`;
  return {
    url: scratch.toString(),
    async close() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}
