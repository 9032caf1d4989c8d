import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Envelope } from '../generator.js';
import { messageValue } from './kafka.js';
import { writeNdjson } from './ndjson.js';

describe('writeNdjson', () => {
  it('writes one {topic, key, value} line per envelope, keeping a malformed raw text as a string', async () => {
    const envelopes: Envelope[] = Array.from({ length: 4_500 }, (_, i) => ({
      topic: 'courier.scan.v1',
      key: `WB${String(i).padStart(8, '0')}`,
      value: { eventId: `e${i}`, waybillNo: `WB${String(i).padStart(8, '0')}` },
    }));
    envelopes.push({ topic: 'courier.exception.v1', key: 'WB00000001', value: '{"eventId":"broken' });
    const directory = await mkdtemp(join(tmpdir(), 'simulator-ndjson-'));
    try {
      const path = join(directory, 'day.ndjson');
      expect(await writeNdjson(path, envelopes)).toBe(envelopes.length);
      const lines = (await readFile(path, 'utf8')).split('\n');
      expect(lines.at(-1)).toBe('');
      const parsed = lines.slice(0, -1).map((line) => JSON.parse(line) as Envelope);
      expect(parsed).toEqual(envelopes);
      // The Kafka sink sends the same bytes a consumer of the NDJSON file would read.
      expect(messageValue(parsed.at(-1)!)).toBe('{"eventId":"broken');
      expect(messageValue(parsed[0]!)).toBe(JSON.stringify(envelopes[0]!.value));
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
