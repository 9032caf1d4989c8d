// Static checks of the production stack (docker/compose.yaml, docker/Dockerfile). Nothing here needs Docker: the
// files are parsed and the properties operators and the services rely on are asserted.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { TOPIC_NAMES } from '#config';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const composePath = resolve(repoRoot, 'docker/compose.yaml');
const dockerfilePath = resolve(repoRoot, 'docker/Dockerfile');

type DependsOn = Record<string, { condition: string }>;
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[] | string;
  entrypoint?: string[] | string;
  environment?: Record<string, string | number>;
  depends_on?: DependsOn | string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  restart?: string;
  volumes?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
}

// `merge: true`: the file shares settings between services through YAML merge keys (<<), as docker compose does.
const compose = parse(readFileSync(composePath, 'utf8'), { merge: true }) as ComposeFile;
const services = compose.services;
const dockerfileText = readFileSync(dockerfilePath, 'utf8');
// Instructions only: comments may name the commands the file deliberately avoids.
const dockerfile = dockerfileText
  .split('\n')
  .filter((line) => !/^\s*#/.test(line))
  .join('\n');

const APPS = { ingest: 3001, deadlines: 3002, notifier: 3003, api: 3000 } as const;
/** Every topic the apps use (events.md's and the internal ones): a new one must be declared for kafka-init too. */
const CONTRACT_TOPICS = Object.values(TOPIC_NAMES);

const kafkaNodes = Object.entries(services).filter(([, service]) => service.image?.startsWith('apache/kafka') && service.environment?.KAFKA_NODE_ID !== undefined);

function env(serviceName: string): Record<string, string> {
  const environment = services[serviceName]?.environment ?? {};
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}

function commandText(service: Service): string {
  const parts = [service.entrypoint, service.command].flat().filter((part): part is string => typeof part === 'string');
  return parts.join(' ');
}

function dependsOn(service: Service): DependsOn {
  if (Array.isArray(service.depends_on)) throw new Error('depends_on must use the long form with conditions');
  return service.depends_on ?? {};
}

/** The kafka-init topic table: `<topic> <partitions> <replication factor> [configs]` per line. */
function declaredTopics(): Map<string, { partitions: number; replicationFactor: number; configs: Record<string, string> }> {
  const table = env('kafka-init').KAFKA_TOPICS ?? '';
  const topics = new Map<string, { partitions: number; replicationFactor: number; configs: Record<string, string> }>();
  for (const line of table.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const [name, partitions, replicationFactor, configs = ''] = line.split(/\s+/);
    topics.set(name, {
      partitions: Number(partitions),
      replicationFactor: Number(replicationFactor),
      configs: Object.fromEntries(configs.split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string])),
    });
  }
  return topics;
}

describe('docker/compose.yaml', () => {
  describe('Kafka', () => {
    it('runs three nodes in KRaft mode (broker + controller, one controller quorum, no ZooKeeper)', () => {
      expect(kafkaNodes).toHaveLength(3);
      const nodeIds = kafkaNodes.map(([, service]) => String(service.environment?.KAFKA_NODE_ID));
      expect(new Set(nodeIds).size).toBe(3);

      const clusterIds = new Set<string>();
      for (const [name, service] of kafkaNodes) {
        const nodeEnv = env(name);
        expect(nodeEnv.KAFKA_PROCESS_ROLES?.split(',').sort()).toEqual(['broker', 'controller']);
        expect(nodeEnv.KAFKA_CONTROLLER_LISTENER_NAMES).toBe('CONTROLLER');
        expect(nodeEnv.KAFKA_LISTENERS).toContain('CONTROLLER://');
        expect(Object.keys(nodeEnv).some((key) => key.includes('ZOOKEEPER'))).toBe(false);
        expect(nodeEnv.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${name}:9092`);
        expect(service.healthcheck?.test).toBeDefined();
        clusterIds.add(nodeEnv.CLUSTER_ID);

        // Every node votes for the same quorum, made of exactly the three nodes.
        const voters = nodeEnv.KAFKA_CONTROLLER_QUORUM_VOTERS.split(',').map((voter) => {
          const [id, address] = voter.split('@');
          return { id, host: address.split(':')[0] };
        });
        expect(voters.map((voter) => voter.id).sort()).toEqual([...nodeIds].sort());
        expect(voters.map((voter) => voter.host).sort()).toEqual(kafkaNodes.map(([nodeName]) => nodeName).sort());
      }
      expect(clusterIds.size).toBe(1);
    });

    it('replicates durably: replication factor 3, min.insync.replicas 2, no unclean leader election', () => {
      for (const [name] of kafkaNodes) {
        const nodeEnv = env(name);
        expect(nodeEnv.KAFKA_DEFAULT_REPLICATION_FACTOR).toBe('3');
        expect(nodeEnv.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('3');
        expect(nodeEnv.KAFKA_MIN_INSYNC_REPLICAS).toBe('2');
        expect(nodeEnv.KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE).toBe('false');
        expect(nodeEnv.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
      }
    });

    it('kafka-init creates every topic of the event contract with explicit partitions and replication factor', () => {
      const topics = declaredTopics();
      expect([...topics.keys()].sort()).toEqual([...CONTRACT_TOPICS].sort());
      for (const [name, topic] of topics) {
        expect({ name, partitionsValid: Number.isInteger(topic.partitions) && topic.partitions >= 1 }).toEqual({ name, partitionsValid: true });
        expect({ name, replicationFactor: topic.replicationFactor }).toEqual({ name, replicationFactor: 3 });
        expect(Number(topic.configs['min.insync.replicas'])).toBeLessThan(topic.replicationFactor);
      }
      // Inputs of one waybill must land in partitions that one consumer group can spread over several instances.
      for (const input of ['courier.scan.v1', 'courier.exception.v1', 'courier.reply.v1', 'courier.action.v1']) {
        expect(topics.get(input)!.partitions).toBeGreaterThan(1);
      }
    });

    it('kafka-init passes the table to kafka-topics.sh and waits for healthy brokers', () => {
      const init = services['kafka-init'];
      const script = commandText(init);
      expect(script).toContain('kafka-topics.sh');
      expect(script).toMatch(/--create --if-not-exists/);
      expect(script).toMatch(/--partitions "\$\$partitions"/);
      expect(script).toMatch(/--replication-factor "\$\$replication_factor"/);
      expect(script).toContain('<<<"$$KAFKA_TOPICS"');
      expect(script).toContain('set -euo pipefail');
      expect(init.restart).toBe('no');
      const conditions = dependsOn(init);
      expect(Object.keys(conditions).sort()).toEqual(kafkaNodes.map(([name]) => name).sort());
      for (const dependency of Object.values(conditions)) expect(dependency.condition).toBe('service_healthy');
      for (const broker of env('kafka-init').BOOTSTRAP_SERVERS.split(',')) {
        expect(kafkaNodes.map(([name]) => `${name}:9092`)).toContain(broker);
      }
    });
  });

  describe('PostgreSQL and Redis', () => {
    it('runs PostgreSQL 16 with a pg_isready health check', () => {
      const postgres = services.postgres;
      expect(postgres.image).toMatch(/^postgres:16(\b|-)/);
      expect(commandText({ command: postgres.healthcheck?.test })).toContain('pg_isready');
    });

    it('runs Redis 7 with append-only persistence and noeviction (BullMQ must never lose a deadline)', () => {
      const redis = services.redis;
      expect(redis.image).toMatch(/^redis:7(\b|-|\.)/);
      const args = redis.command as string[];
      expect(Array.isArray(args)).toBe(true);
      expect(args[0]).toBe('redis-server');
      expect(args.indexOf('--appendonly')).toBeGreaterThan(0);
      expect(args[args.indexOf('--appendonly') + 1]).toBe('yes');
      expect(args.indexOf('--maxmemory-policy')).toBeGreaterThan(0);
      expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
      expect(commandText({ command: redis.healthcheck?.test })).toContain('ping');
    });
  });

  describe('services', () => {
    const appServices = Object.keys(APPS) as (keyof typeof APPS)[];

    it.each(appServices)('%s is built from docker/Dockerfile and started from its compiled entry point', (app) => {
      const service = services[app];
      expect(service).toBeDefined();
      expect(service.build).toBeDefined();
      expect(resolve(dirname(composePath), service.build!.context, service.build!.dockerfile)).toBe(dockerfilePath);
      expect(service.command).toEqual(['node', `dist/apps/${app}/src/main.js`]);
      expect(existsSync(dockerfilePath)).toBe(true);
    });

    it('builds every service of the monorepo from the one image', () => {
      const built = Object.entries(services).filter(([, service]) => service.build);
      expect(built.map(([name]) => name).sort()).toEqual([...appServices, 'migrate'].sort());
      expect(new Set(built.map(([, service]) => service.image)).size).toBe(1);
      expect(new Set(built.map(([, service]) => JSON.stringify(service.build))).size).toBe(1);
    });

    it.each(appServices)('%s gets the connection settings, production mode and its HTTP port', (app) => {
      const appEnv = env(app);
      expect(appEnv.NODE_ENV).toBe('production');
      expect(appEnv.DATABASE_URL).toMatch(/^postgres(ql)?:\/\/.+@postgres:5432\//);
      expect(appEnv.REDIS_URL).toMatch(/^redis:\/\/.*@?redis:6379/);
      expect(appEnv.KAFKA_BROKERS.split(',').sort()).toEqual(kafkaNodes.map(([name]) => `${name}:9092`).sort());
      expect(appEnv.HTTP_PORT).toBe(String(APPS[app]));
    });

    it.each(appServices)('%s reads the business policy from a read-only config mount', (app) => {
      expect(services[app].volumes).toContainEqual(expect.stringMatching(/^\$\{POLICY_DIR:-\.\.\/config\}:\/app\/config:ro$/));
      expect(env(app).POLICY_FILE).toMatch(/^config\//);
      expect(existsSync(resolve(repoRoot, 'config/policy.default.json'))).toBe(true);
    });

    it.each(appServices)('%s starts only after its dependencies are healthy, the topics exist and the schema is migrated', (app) => {
      expect(dependsOn(services[app])).toEqual({
        'kafka-init': { condition: 'service_completed_successfully' },
        migrate: { condition: 'service_completed_successfully' },
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    });

    it.each(appServices)('%s has a health check against its own /health endpoint', (app) => {
      const check = commandText({ command: services[app].healthcheck?.test });
      expect(check).toContain('/health');
      expect(check).toContain('process.env.HTTP_PORT');
    });

    it('runs the migrations once, after PostgreSQL is healthy', () => {
      const migrate = services.migrate;
      expect(migrate.command).toEqual(['node', 'dist/libs/persistence/src/migrate.js']);
      expect(migrate.restart).toBe('no');
      expect(dependsOn(migrate)).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(env('migrate').DATABASE_URL).toBe(env('api').DATABASE_URL);
    });

    it('only the api is published on the host', () => {
      const published = Object.entries(services).filter(([, service]) => (service as { ports?: unknown[] }).ports?.length);
      expect(published.map(([name]) => name)).toEqual(['api']);
    });
  });

  it('every dependency exists, and every service waited on for health defines a health check', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(dependsOn(service))) {
        expect({ name, dependency, exists: dependency in services }).toEqual({ name, dependency, exists: true });
        if (condition === 'service_healthy') {
          expect({ dependency, healthcheck: Boolean(services[dependency].healthcheck?.test) }).toEqual({ dependency, healthcheck: true });
        }
        if (condition === 'service_completed_successfully') {
          expect({ dependency, restart: services[dependency].restart }).toEqual({ dependency, restart: 'no' });
        }
      }
    }
  });
});

describe('docker/Dockerfile', () => {
  const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/gim)].map((match) => ({ image: match[1], name: match[2] }));
  const runtime = dockerfile.slice(dockerfile.search(/^FROM\s+\S+\s+AS\s+runtime/im));

  it('is multi-stage on a Node LTS slim base', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:(2[2468])-bookworm-slim$/m);
  });

  it('installs with the lockfile through npm install (npm ci breaks on registry mirrors without every platform build)', () => {
    expect(dockerfile).toContain('COPY package.json package-lock.json ./');
    expect(dockerfile).toMatch(/npm install --no-audit --no-fund/);
    expect(dockerfile).not.toMatch(/npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('ships only dist, production node_modules and package.json, and runs as a non-root user', () => {
    const copies = [...runtime.matchAll(/^COPY --from=build\s+(?:--chown=\S+\s+)?(\S+)/gm)].map((match) => match[1]);
    expect(copies.sort()).toEqual(['/app/dist', '/app/node_modules', '/app/package.json']);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    // The default policy ships in the image, at the path POLICY_FILE defaults to (relative to WORKDIR /app).
    expect(runtime).toMatch(/^COPY config \.\/config$/m);
    const user = runtime.match(/^USER\s+(\S+)/m)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
  });

  it('lets the APP build argument or the command pick the service', () => {
    expect(runtime).toMatch(/^ARG APP=\w+$/m);
    expect(runtime).toContain('dist/apps/${APP}/src/main.js');
  });
});
