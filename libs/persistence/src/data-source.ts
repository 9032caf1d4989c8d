import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities/index.js';
import { InitialSchema1763900000000 } from './migrations/1763900000000-initial-schema.js';
import { ApiUsers1763910000000 } from './migrations/1763910000000-api-users.js';
import { CaseRegisteringSites1763920000000 } from './migrations/1763920000000-case-registering-sites.js';
import { WaybillStateStorage1763930000000 } from './migrations/1763930000000-waybill-state-storage.js';
import { WaybillJournal1763940000000 } from './migrations/1763940000000-waybill-journal.js';

export const MIGRATIONS = [
  InitialSchema1763900000000,
  ApiUsers1763910000000,
  CaseRegisteringSites1763920000000,
  WaybillStateStorage1763930000000,
  WaybillJournal1763940000000,
];

export function dataSourceOptions(databaseUrl: string, poolSize = 10): DataSourceOptions {
  return {
    type: 'postgres',
    url: databaseUrl,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolSize },
  };
}

/**
 * Creates the database named in the URL when it does not exist yet, so a fresh machine needs no
 * manual `createdb`. Connects to the server's `postgres` database to do it.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_-]+$/.test(database)) throw new Error(`DATABASE_URL: unsupported database name "${database}"`);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created concurrently by another process: fine
      });
    }
  } finally {
    await client.end();
  }
}

/** Creates the database if needed and applies pending migrations; returns their names. */
export async function migrate(databaseUrl: string): Promise<string[]> {
  await ensureDatabase(databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, 2));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
