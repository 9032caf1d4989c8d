import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createReplay, diffReplays, summarizeReplay, toDate, type Policy, type Replay } from '#domain';
import { readLines } from './event-lines.js';
import { loadPolicyFile } from './policy-file.js';
import { renderDiff, renderSummary } from './report.js';

export const USAGE = `usage:
  replay --events FILE.ndjson --policy POLICY.json [--until ISO] [--out RESULT.json]
      replays the events under the policy and prints the result as JSON (a summary goes to stderr)
  replay --events FILE.ndjson --policy A.json --policy B.json [--until ISO] [--json] [--out DIFF.json]
      what-if: replays the events under both policies and prints what changes from A to B

  --events  NDJSON, one message a line: {"topic": "courier.scan.v1", "key": "...", "value": {...}} or a bare event
  --until   run the event-time clock on to this time (ISO with offset) after the last event, firing due timers
  --out     write the JSON result (or diff) to this file instead of stdout
  --json    what-if: print the diff as JSON instead of the text report`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

class UsageError extends Error {}

interface CliOptions {
  events: string;
  policies: string[];
  until: string | undefined;
  out: string | undefined;
  json: boolean;
}

function parseCliArgs(argv: string[]): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        events: { type: 'string' },
        policy: { type: 'string', multiple: true },
        until: { type: 'string' },
        out: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (!values.events) throw new UsageError('--events is required');
  const policies = values.policy ?? [];
  if (policies.length < 1 || policies.length > 2) throw new UsageError('give one --policy, or two for a what-if comparison');
  if (values.until !== undefined) {
    try {
      toDate(values.until);
    } catch (error) {
      throw new UsageError(`--until: ${(error as Error).message}`);
    }
  }
  if (values.json && policies.length === 1) throw new UsageError('--json only applies to a what-if comparison (two --policy)');
  return { events: values.events, policies, until: values.until, out: values.out, json: values.json };
}

/** Feeds every line of the file to every replay in a single pass over the file. */
async function replayFile(path: string, policies: Policy[], until: string | undefined): Promise<Replay[]> {
  const replays = policies.map((policy) => createReplay(policy));
  for await (const line of readLines(path)) {
    for (const replay of replays) replay.feed(line);
  }
  if (until !== undefined) {
    for (const replay of replays) replay.advanceTo(until);
  }
  return replays;
}

/** Runs the CLI; returns the process exit code (0 ok, 1 failed, 2 usage error). */
export async function runReplayCli(argv: string[], io: CliIo): Promise<number> {
  let options: CliOptions | 'help';
  try {
    options = parseCliArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`replay: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }

  try {
    const policies = await Promise.all(options.policies.map(loadPolicyFile));
    const replays = await replayFile(options.events, policies, options.until);
    const results = replays.map((replay) => replay.result());

    if (results.length === 1) {
      const [result] = results;
      const json = `${JSON.stringify(result, null, 2)}\n`;
      if (options.out) await writeFile(options.out, json);
      else io.stdout(json);
      io.stderr(`${renderSummary(result, summarizeReplay(result))}\n`);
      return 0;
    }

    const diff = diffReplays(results[0], results[1]);
    const json = `${JSON.stringify(diff, null, 2)}\n`;
    if (options.out) await writeFile(options.out, json);
    if (options.json) {
      if (!options.out) io.stdout(json);
    } else {
      io.stdout(`${renderDiff(diff, { a: options.policies[0], b: options.policies[1] }, policies[0].timeZone)}\n`);
    }
    return 0;
  } catch (error) {
    // Messages name what failed: the policy file and each invalid field, the unreadable file, the engine input.
    io.stderr(`replay: ${(error as Error).message}\n`);
    return 1;
  }
}
