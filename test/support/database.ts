import pg from 'pg';
import { ensureDatabase, migrate } from '#persistence';

export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier_test';

/** A clean schema for one test file: everything dropped, then the real migrations applied. */
export async function resetDatabase(url = TEST_DATABASE_URL): Promise<void> {
  await ensureDatabase(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
  } finally {
    await client.end();
  }
  await migrate(url);
}

export async function withClient<T>(work: (client: pg.Client) => Promise<T>, url = TEST_DATABASE_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = [], url = TEST_DATABASE_URL): Promise<T[]> {
  return withClient(async (client) => (await client.query(sql, params)).rows as T[], url);
}
