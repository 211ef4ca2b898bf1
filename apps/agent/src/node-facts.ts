import { readFileSync } from 'node:fs';
import { arch, hostname, release, type } from 'node:os';
import { join } from 'node:path';

/** Facts about this host and agent build that the registration and the enrollment report. */
export interface NodeFacts {
  host: string;
  os: string;
  version: string;
}

export const NODE_FACTS = Symbol('NODE_FACTS');

/**
 * Reads the agent version from apps/agent/package.json, one directory above both src/ and dist/.
 * Returns `unknown` when the file is missing, as in a bundle without it.
 */
export function agentVersion(): string {
  try {
    const content = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version?: unknown };

    return typeof content.version === 'string' ? content.version : 'unknown';
  } catch {
    // The version is informational, so a missing package.json does not stop the agent.
    return 'unknown';
  }
}

export function readNodeFacts(): NodeFacts {
  return { host: hostname(), os: `${type()} ${release()} ${arch()}`, version: agentVersion() };
}
