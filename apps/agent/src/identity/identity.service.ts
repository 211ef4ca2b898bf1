import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EnrollRequest, EnrollResponse } from '@ects/domain';

import { AGENT_SETTINGS, type AgentSettings } from '../config/settings';
import { NODE_FACTS, type NodeFacts } from '../node-facts';

export const IDENTITY_FILE = 'identity.json';

/** Contents of identity.json: the node this agent runs as, and the API that issued its credential. */
export interface NodeIdentity {
  nodeId: string;
  credential: string;
  apiUrl: string;
}

export type IdentityErrorCode = 'IDENTITY_MISSING' | 'IDENTITY_INVALID' | 'ENROLLMENT_REJECTED' | 'ENROLLMENT_FAILED';

/** Error raised when the agent has no usable identity and cannot get one; the message tells the operator what to do. */
export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'IdentityError';
  }
}

/** Attempts at reaching the API for enrollment, for an agent that starts before its API is up. */
const ENROLL_ATTEMPTS = 10;
const ENROLL_RETRY_MS = 3_000;
const ENROLL_TIMEOUT_MS = 15_000;

function describe(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }

  const cause: unknown = error.cause;

  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/**
 * Loads the node identity from `<stateDir>/identity.json`, or enrolls with the API's enrollment
 * token and saves the identity with mode 0600. The credential is never logged.
 */
@Injectable()
export class IdentityService {
  private readonly logger = new Logger(IdentityService.name);

  constructor(
    @Inject(AGENT_SETTINGS) private readonly settings: AgentSettings,
    @Inject(NODE_FACTS) private readonly facts: NodeFacts,
  ) {}

  get path(): string {
    return join(this.settings.stateDir, IDENTITY_FILE);
  }

  /** Returns the saved identity, enrolling first when there is none. Throws IdentityError. */
  async resolve(): Promise<NodeIdentity> {
    const saved = this.load();
    if (saved !== undefined) {
      if (saved.apiUrl !== this.settings.apiUrl) {
        this.logger.warn(
          `Node ${saved.nodeId} enrolled with the API at ${saved.apiUrl}; now reporting to ${this.settings.apiUrl}`,
        );
      }
      this.logger.log(`Running as node ${saved.nodeId} (identity from ${this.path})`);

      return saved;
    }

    if (this.settings.enrollToken === undefined || this.settings.enrollToken === '') {
      throw new IdentityError(
        'IDENTITY_MISSING',
        `No node identity in ${this.path} and no enrollment token: create a token in the console ` +
          '(Nodes, enrollment tokens) and pass it with --enroll-token or ECTS_ENROLL_TOKEN',
      );
    }

    const identity = await this.enroll(this.settings.enrollToken);
    this.save(identity);
    this.logger.log(`Enrolled as node ${identity.nodeId} (${this.settings.name}); identity saved in ${this.path}`);

    return identity;
  }

  private load(): NodeIdentity | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return undefined;
      }
      throw new IdentityError('IDENTITY_INVALID', `Cannot read the node identity ${this.path}: ${describe(error)}`, {
        cause: error,
      });
    }

    let value: Partial<NodeIdentity>;
    try {
      value = JSON.parse(text) as Partial<NodeIdentity>;
    } catch (error: unknown) {
      throw new IdentityError(
        'IDENTITY_INVALID',
        `Node identity ${this.path} is not valid JSON; delete it to enroll again`,
        {
          cause: error,
        },
      );
    }

    if (
      typeof value.nodeId !== 'string' ||
      typeof value.credential !== 'string' ||
      value.nodeId === '' ||
      value.credential === ''
    ) {
      throw new IdentityError(
        'IDENTITY_INVALID',
        `Node identity ${this.path} lacks nodeId or credential; delete it and enroll again with a new token`,
      );
    }

    return {
      nodeId: value.nodeId,
      credential: value.credential,
      apiUrl: typeof value.apiUrl === 'string' ? value.apiUrl : this.settings.apiUrl,
    };
  }

  private save(identity: NodeIdentity): void {
    const temporary = `${this.path}.tmp`;

    try {
      mkdirSync(this.settings.stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(temporary, `${JSON.stringify(identity, null, 2)}\n`, { mode: 0o600 });
      // The mode of writeFileSync is filtered by the umask; the file must be private whatever it is.
      chmodSync(temporary, 0o600);
      renameSync(temporary, this.path);
    } catch (error: unknown) {
      throw new IdentityError(
        'ENROLLMENT_FAILED',
        `Enrolled as node ${identity.nodeId}, but saving ${this.path} failed: ${describe(error)}. Fix the state directory, ` +
          'delete the node in the console and enroll again',
        { cause: error },
      );
    }
  }

  /** Exchanges the token for an identity; connection failures are retried while the API starts. */
  private async enroll(token: string): Promise<NodeIdentity> {
    const url = `${this.settings.apiUrl}/api/agents/enroll`;
    const request: EnrollRequest = {
      token,
      name: this.settings.name,
      host: this.facts.host,
      labels: this.settings.labels,
      os: this.facts.os,
      version: this.facts.version,
    };

    for (let attempt = 1; ; attempt += 1) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(ENROLL_TIMEOUT_MS),
        });
      } catch (error: unknown) {
        if (attempt >= ENROLL_ATTEMPTS) {
          throw new IdentityError(
            'ENROLLMENT_FAILED',
            `Enrolling at ${url} failed after ${attempt} attempts: ${describe(error)}; check --api-url`,
            { cause: error },
          );
        }

        this.logger.warn(
          `Enrolling at ${url} failed (attempt ${attempt} of ${ENROLL_ATTEMPTS}), retrying: ${describe(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, ENROLL_RETRY_MS));
        continue;
      }

      return this.readEnrollment(response, url);
    }
  }

  private async readEnrollment(response: Response, url: string): Promise<NodeIdentity> {
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }

    if (!response.ok) {
      const message =
        typeof body === 'object' && body !== null && 'message' in body ? String(body.message) : text.slice(0, 200);
      throw new IdentityError(
        'ENROLLMENT_REJECTED',
        `The API rejected the enrollment (HTTP ${response.status}): ${message}`,
      );
    }

    const enrolled = body as Partial<EnrollResponse> | undefined;
    if (typeof enrolled?.nodeId !== 'string' || typeof enrolled.credential !== 'string') {
      throw new IdentityError('ENROLLMENT_FAILED', `The enrollment response from ${url} has no nodeId and credential`);
    }

    return { nodeId: enrolled.nodeId, credential: enrolled.credential, apiUrl: this.settings.apiUrl };
  }
}
