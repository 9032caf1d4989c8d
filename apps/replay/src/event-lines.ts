import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/** The lines of an NDJSON file, streamed (the file is never held in memory whole). */
export async function* readLines(path: string): AsyncGenerator<string> {
  // Opening first turns a missing or unreadable file into an ordinary rejected promise here.
  const file = await open(path, 'r');
  const lines = createInterface({ input: file.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
    await file.close().catch(() => undefined); // already closed by the stream at its end
  }
}
