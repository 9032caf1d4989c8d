// A loopback stand-in for the SMS gateway, the site webhooks and the staff e-mail/webhook relay, for the demo and
// the tests. Like a real provider it honours Idempotency-Key (a repeated key is acknowledged, not delivered twice)
// and accepts a message before it answers (a client that dies while waiting for the answer has still sent it).
// It records every request and can be told to fail or to hold its answer. Not for production.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the gateway did with a request. */
export type GatewayOutcome = 'delivered' | 'duplicate' | 'failed';

export interface GatewayRecord {
  path: string;
  idempotencyKey: string | null;
  authorization: string | null;
  body: Record<string, unknown>;
  receivedAt: string;
  outcome: GatewayOutcome;
  /** The HTTP status it answered (or will answer, for a held request). */
  status: number;
}

/** Which requests a failure or a hold applies to; every given field must match. */
export interface RequestMatch {
  /** Path prefix, e.g. `/sms`. */
  path?: string;
  idempotencyKey?: string;
}

export interface FailureOptions {
  status?: number;
  /** Answer body (providers explain refusals, and sometimes quote the number they refused). */
  body?: string;
  match?: RequestMatch;
}

/** A request the gateway accepted (and recorded as delivered) but has not answered yet. */
export interface HeldRequest {
  /** Resolves when a matching request arrives. */
  received: Promise<GatewayRecord>;
  /** Sends the held answer (a no-op when the client is gone). */
  release(): void;
}

export interface FakeGateway {
  url: string;
  port: number;
  records: GatewayRecord[];
  /** What people actually received: requests delivered under a key not seen before. */
  delivered(match?: RequestMatch): GatewayRecord[];
  /** Every request for a match, whatever its outcome (attempts, including failed and duplicate ones). */
  requests(match?: RequestMatch): GatewayRecord[];
  /** Fail the next `count` matching requests (default status 503), without delivering them. */
  failNext(count: number, options?: FailureOptions): void;
  /** Accept the next matching request but hold its answer until released. */
  holdNext(match?: RequestMatch): HeldRequest;
  close(): Promise<void>;
}

interface FailureRule {
  remaining: number;
  status: number;
  body: string;
  match: RequestMatch;
}

interface HoldRule {
  match: RequestMatch;
  onReceived: (record: GatewayRecord) => void;
  released: Promise<void>;
}

function matches(record: Pick<GatewayRecord, 'path' | 'idempotencyKey'>, match: RequestMatch = {}): boolean {
  return (match.path === undefined || record.path.startsWith(match.path)) && (match.idempotencyKey === undefined || record.idempotencyKey === match.idempotencyKey);
}

export interface FakeGatewayOptions {
  /** Milliseconds to wait before answering an accepted request, drawn per request (a provider's latency). */
  latencyMs?: () => number;
}

export async function startFakeGateway(port = 0, options: FakeGatewayOptions = {}): Promise<FakeGateway> {
  const records: GatewayRecord[] = [];
  const seen = new Set<string>();
  const failures: FailureRule[] = [];
  const holds: HoldRule[] = [];
  const releases: (() => void)[] = [];

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '/';
    if (req.method === 'GET' && path === '/records') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(records));
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      res.writeHead(400).end('body is not JSON');
      return;
    }
    const idempotencyKey = (req.headers['idempotency-key'] as string | undefined) ?? null;
    const base = {
      path,
      idempotencyKey,
      authorization: req.headers.authorization ?? null,
      body,
      receivedAt: new Date().toISOString(),
    };

    const failure = failures.find((rule) => rule.remaining > 0 && matches(base, rule.match));
    if (failure) {
      failure.remaining -= 1;
      records.push({ ...base, outcome: 'failed', status: failure.status });
      res.writeHead(failure.status, { 'content-type': 'text/plain' }).end(failure.body);
      return;
    }

    const duplicate = idempotencyKey !== null && seen.has(idempotencyKey);
    if (idempotencyKey) seen.add(idempotencyKey);
    const record: GatewayRecord = { ...base, outcome: duplicate ? 'duplicate' : 'delivered', status: 200 };
    records.push(record);

    const holdIndex = holds.findIndex((rule) => matches(record, rule.match));
    if (holdIndex >= 0) {
      const [hold] = holds.splice(holdIndex, 1);
      hold!.onReceived(record);
      await hold!.released;
    }
    const latency = options.latencyMs?.() ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `fake-${records.indexOf(record) + 1}`, duplicate }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    records,
    delivered: (match) => records.filter((r) => r.outcome === 'delivered' && matches(r, match)),
    requests: (match) => records.filter((r) => matches(r, match)),
    failNext(count, options = {}) {
      failures.push({ remaining: count, status: options.status ?? 503, body: options.body ?? '', match: options.match ?? {} });
    },
    holdNext(match = {}) {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let onReceived!: (record: GatewayRecord) => void;
      const received = new Promise<GatewayRecord>((resolve) => (onReceived = resolve));
      holds.push({ match, onReceived, released });
      releases.push(release);
      return { received, release };
    },
    close: () =>
      new Promise((resolve) => {
        for (const release of releases) release(); // held handlers finish (their clients are gone)
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// Run directly: `node dist/scripts/dev/fake-gateway.js [port]` (records at GET /records).
if (process.argv[1]?.endsWith('fake-gateway.js')) {
  const gateway = await startFakeGateway(Number(process.argv[2] ?? 0));
  console.log(gateway.url);
  process.on('SIGTERM', () => void gateway.close().then(() => process.exit(0)));
}
