import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Envelope } from '../generator.js';

const LINES_PER_CHUNK = 2_000;

/** One envelope as an NDJSON line: `{"topic":…,"key":…,"value":…}` (a malformed message's raw text stays a string). */
export function toNdjsonLine(envelope: Envelope): string {
  return JSON.stringify({ topic: envelope.topic, key: envelope.key, value: envelope.value });
}

function* chunks(envelopes: readonly Envelope[]): Generator<string> {
  for (let start = 0; start < envelopes.length; start += LINES_PER_CHUNK) {
    yield `${envelopes.slice(start, start + LINES_PER_CHUNK).map(toNdjsonLine).join('\n')}\n`;
  }
}

/** Writes the envelopes one per line, in stream order (with back-pressure); returns the number of lines. */
export async function writeNdjson(path: string, envelopes: readonly Envelope[]): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  await pipeline(Readable.from(chunks(envelopes)), createWriteStream(path, { encoding: 'utf8' }));
  return envelopes.length;
}

/** Pretty JSON (ground truth, policy). */
export async function writeJsonFile(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`, 'utf8');
}
