// `node dist/apps/api/src/cli/create-user.js --name NAME --role ROLE [--site SITE] [--ttl-days N] [--label TEXT]`
//
// Creates a staff API user (or reuses the one of that name when role and site match) and issues a bearer token,
// printed alone on stdout so that scripts can capture it: TOKEN=$(node dist/apps/api/src/cli/create-user.js …).
// The token is shown once and stored only as its SHA-256. Reads DATABASE_URL (migrations must have run) and,
// to check the site against the network, POLICY_FILE.
import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { formatPath } from '#contracts';
import { readPolicyFile } from '#config';
import { siteOf } from '#domain';
import { dataSourceOptions } from '#persistence';
import { newUserSchema, UserConflictError, UsersService } from '../auth/users.service.js';

const USAGE =
  'usage: create-user --name NAME --role BRANCH_STAFF|HUB_STAFF|HQ|OPS [--site SITE] [--ttl-days N] [--label TEXT]\n' +
  '  --site      required for BRANCH_STAFF and HUB_STAFF (their branch or hub), refused for HQ and OPS\n' +
  '  --ttl-days  token lifetime in days (default 90; 0 = does not expire)';

const ROLE_SITE_TYPE = { BRANCH_STAFF: 'BRANCH', HUB_STAFF: 'HUB' } as const;

function fail(message: string, code = 2): never {
  console.error(`create-user: ${message}`);
  process.exit(code);
}

/** Refuses a site the network policy knows as the other type (a hub for branch staff); warns when it does not know it. */
function checkSiteAgainstPolicy(role: keyof typeof ROLE_SITE_TYPE, site: string): void {
  const policyFile = process.env.POLICY_FILE ?? 'config/policy.default.json';
  if (!existsSync(policyFile)) return;
  const known = siteOf(readPolicyFile(policyFile), site);
  if (!known) {
    console.error(`create-user: warning: site ${site} is not in the policy ${policyFile}`);
  } else if (known.type !== ROLE_SITE_TYPE[role]) {
    fail(`site ${site} is a ${known.type} in ${policyFile}; role ${role} needs a ${ROLE_SITE_TYPE[role]}`);
  }
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        name: { type: 'string' },
        role: { type: 'string' },
        site: { type: 'string' },
        'ttl-days': { type: 'string', default: '90' },
        label: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const parsed = newUserSchema.safeParse({ name: values.name, role: values.role, siteCode: values.site });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `--${formatPath(issue.path).replace('siteCode', 'site')}: ${issue.message}`);
    fail(`${problems.join('; ')}\n${USAGE}`);
  }
  const ttl = z.coerce.number().int().min(0).max(3650).safeParse(values['ttl-days']);
  if (!ttl.success) fail('--ttl-days: must be a whole number of days from 0 to 3650');
  const user = parsed.data;
  if (user.role === 'BRANCH_STAFF' || user.role === 'HUB_STAFF') checkSiteAgainstPolicy(user.role, user.siteCode!);

  const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/courier';
  const dataSource = new DataSource(dataSourceOptions(databaseUrl, 1));
  await dataSource.initialize();
  try {
    if (await dataSource.showMigrations()) fail('the database schema has pending migrations: run `node dist/libs/persistence/src/migrate.js` first', 1);
    const users = new UsersService(dataSource);
    const { user: stored, created } = await users.ensureUser(user);
    const issued = await users.issueToken(stored.userId, {
      label: typeof values.label === 'string' ? values.label : 'create-user',
      ttlDays: ttl.data || null,
    });
    console.error(
      `create-user: ${created ? 'created' : 'reusing'} ${stored.role} "${stored.name}"${stored.siteCode ? ` of ${stored.siteCode}` : ''}; ` +
        `token ${issued.tokenId} ${issued.expiresAt ? `expires ${issued.expiresAt.toISOString()}` : 'does not expire'}`,
    );
    console.log(issued.token);
  } catch (error) {
    if (error instanceof UserConflictError) fail(error.message, 1);
    throw error;
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: Error) => fail(error.message, 1));
