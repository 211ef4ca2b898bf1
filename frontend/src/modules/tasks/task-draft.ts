import type { HttpMethod, TaskKind } from '@ects/domain';

import type { Schemas } from '../../api/client';

/** Every kind's fields side by side, so switching the kind of a new task keeps what was typed. */
export interface TaskDraft {
  name: string;
  description: string;
  kind: TaskKind;
  shell: { command: string; cwd: string; env: Record<string, string> };
  http: {
    method: HttpMethod;
    url: string;
    headers: Record<string, string>;
    body: string;
    /** Comma-separated status codes, as typed. */
    expectedStatus: string;
    timeoutMs: number;
    followRedirects: boolean;
    verifyTls: boolean;
  };
  mail: { to: string; cc: string; subject: string; body: string };
  hook: { url: string; secret: string };
}

export function emptyTaskDraft(kind: TaskKind = 'shell'): TaskDraft {
  return {
    name: '',
    description: '',
    kind,
    shell: { command: '', cwd: '', env: {} },
    http: {
      method: 'GET',
      url: '',
      headers: {},
      body: '',
      expectedStatus: '',
      timeoutMs: 30_000,
      followRedirects: true,
      verifyTls: true,
    },
    mail: { to: '', cc: '', subject: '', body: '' },
    hook: { url: '', secret: '' },
  };
}

type Config = Record<string, unknown>;

function text(config: Config, key: string, fallback = ''): string {
  const value = config[key];

  return typeof value === 'string' ? value : fallback;
}

function map(config: Config, key: string): Record<string, string> {
  const value = config[key];

  return typeof value === 'object' && value !== null ? { ...(value as Record<string, string>) } : {};
}

function list(config: Config, key: string): string[] {
  const value = config[key];

  return Array.isArray(value) ? value.map(String) : [];
}

export function toTaskDraft(task: Schemas['TaskDto']): TaskDraft {
  const draft = emptyTaskDraft(task.kind);
  const config = task.config as Config;
  draft.name = task.name;
  draft.description = task.description;

  switch (task.kind) {
    case 'shell':
      draft.shell = { command: text(config, 'command'), cwd: text(config, 'cwd'), env: map(config, 'env') };
      break;
    case 'http':
      draft.http = {
        method: text(config, 'method', 'GET') as HttpMethod,
        url: text(config, 'url'),
        headers: map(config, 'headers'),
        body: text(config, 'body'),
        expectedStatus: list(config, 'expectedStatus').join(', '),
        timeoutMs: typeof config['timeoutMs'] === 'number' ? config['timeoutMs'] : 30_000,
        followRedirects: config['followRedirects'] !== false,
        verifyTls: config['verifyTls'] !== false,
      };
      break;
    case 'mail':
      draft.mail = {
        to: list(config, 'to').join(', '),
        cc: list(config, 'cc').join(', '),
        subject: text(config, 'subject'),
        body: text(config, 'body'),
      };
      break;
    case 'hook':
      draft.hook = { url: text(config, 'url'), secret: text(config, 'secret') };
      break;
  }

  return draft;
}

/** Splits "a@x, b@y" or one address per line into a list. */
export function splitList(value: string): string[] {
  return value
    .split(/[,;\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Parses "200, 204" into status codes; returns null when an item is not a status code. */
export function parseStatusCodes(value: string): number[] | null {
  const codes = splitList(value).map(Number);

  return codes.every((code) => Number.isInteger(code) && code >= 100 && code <= 599) ? codes : null;
}

/** The config the API takes for the draft's kind; only that kind's fields are sent. */
export function toTaskConfig(draft: TaskDraft): Schemas['CreateTaskDto']['config'] {
  switch (draft.kind) {
    case 'shell': {
      const { command, cwd, env } = draft.shell;

      return {
        command,
        ...(cwd.trim() === '' ? {} : { cwd: cwd.trim() }),
        ...(Object.keys(env).length > 0 ? { env } : {}),
      };
    }
    case 'http': {
      const http = draft.http;
      const expected = parseStatusCodes(http.expectedStatus) ?? [];

      return {
        method: http.method,
        url: http.url.trim(),
        ...(Object.keys(http.headers).length > 0 ? { headers: http.headers } : {}),
        ...(http.body === '' ? {} : { body: http.body }),
        ...(expected.length > 0 ? { expectedStatus: expected } : {}),
        timeoutMs: http.timeoutMs,
        followRedirects: http.followRedirects,
        verifyTls: http.verifyTls,
      };
    }
    case 'mail': {
      const cc = splitList(draft.mail.cc);

      return {
        to: splitList(draft.mail.to),
        ...(cc.length > 0 ? { cc } : {}),
        subject: draft.mail.subject,
        body: draft.mail.body,
      };
    }
    case 'hook':
      return { url: draft.hook.url.trim(), ...(draft.hook.secret === '' ? {} : { secret: draft.hook.secret }) };
  }
}
