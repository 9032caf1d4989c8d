import { readFile } from 'node:fs/promises';
import { loadPolicy, type Policy } from '#domain';

/** Reads and validates a policy JSON file; errors name the file (and, for invalid fields, their paths). */
export async function loadPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read policy ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`policy ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return loadPolicy(json, path);
}
