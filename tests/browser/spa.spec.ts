import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';

import mysql from 'mysql2/promise';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startEtcd, type EtcdServer } from '../../tools/test/etcd.mjs';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createDatabase,
  randomNamespace,
  startAgent,
  startApi,
  waitFor,
  type AgentProcess,
  type ApiProcess,
  type Database,
} from '../e2e/support/processes';
import {
  choose,
  launchChromium,
  openContext,
  PageProblems,
  screenshot,
  signIn,
  SPA_INDEX,
  terminalText,
} from './support/browser';

const VIEWER_EMAIL = 'viewer@example.com';
const VIEWER_PASSWORD = 'viewer-password-1';
const RUN_COUNT = 10_000;

/** Prints six numbered lines a second apart, then one in ANSI green. */
const TICKING_COMMAND =
  'for i in 1 2 3 4 5 6; do echo "tick $i"; sleep 1; done; printf "\\033[32mall green\\033[0m\\n"';

describe('admin SPA in Chromium', () => {
  let etcd: EtcdServer;
  let database: Database;
  let api: ApiProcess;
  let agent: AgentProcess;
  let nodeId: string;
  let browser: Browser;
  let page: Page;
  const problems = new PageProblems();
  const namespace = randomNamespace();
  let tickingPipelineId = '';

  /** Creates a shell task and a disabled pipeline bound to the agent's node through the REST API. */
  const createPipeline = async (name: string, command: string): Promise<string> => {
    const task = await api.expect<{ id: string }>(201, 'POST', '/api/tasks', {
      name: `${name}-task`,
      kind: 'shell',
      config: { command },
    });
    const pipeline = await api.expect<{ id: string }>(201, 'POST', '/api/pipelines', {
      name,
      cron: '0 0 1 1 *',
      enabled: false,
      nodeIds: [nodeId],
      steps: [{ taskId: task.id }],
    });

    return pipeline.id;
  };

  beforeAll(async () => {
    if (!existsSync(SPA_INDEX)) {
      throw new Error(`${SPA_INDEX} is missing: build the SPA first with npx nx run @ects/frontend:build`);
    }

    etcd = await startEtcd();
    database = await createDatabase();
    api = await startApi({ databaseUrl: database.url, etcdEndpoints: etcd.endpoint, namespace });
    const enrollment = await api.expect<{ token: string }>(201, 'POST', '/api/enrollment-tokens', { name: 'browser' });
    agent = startAgent({
      apiUrl: api.url,
      etcdEndpoints: etcd.endpoint,
      namespace,
      name: 'browser-node-1',
      enrollToken: enrollment.token,
    });
    const node = await waitFor(
      'the agent to come online',
      async () =>
        (await api.expect<{ items: { id: string; status: string }[] }>(200, 'GET', '/api/nodes?search=browser-node-1'))
          .items[0],
      (found) => found?.status === 'online',
      30_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\nagent output:\n${agent.logs()}\nAPI output:\n${api.process.logs()}`);
    });
    nodeId = node.id;
    await api.expect(201, 'POST', '/api/users', {
      name: 'Vera Viewer',
      email: VIEWER_EMAIL,
      password: VIEWER_PASSWORD,
      role: 'viewer',
    });

    browser = await launchChromium();
    ({ page } = await openContext(browser, problems));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await api?.process.stop();
    await database?.drop();
    await etcd?.destroy();
  });

  it('signs in as admin', async () => {
    await page.goto(`${api.url}/pipelines`);
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)pipelines$/);
    await screenshot(page, '01-sign-in');

    await page.fill('input[name=email]', ADMIN_EMAIL);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('[data-test=sign-in]');

    // The sign-in page sends the user on to the page they first asked for.
    await page.waitForURL(`${api.url}/pipelines`);
    await page.goto(`${api.url}/`);
    await page.waitForSelector('[data-test=nodes-online]');
    expect(await page.locator('[data-test=nodes-online] .el-statistic__number').innerText()).toBe('1');
    await screenshot(page, '02-dashboard');
  });

  it('creates a shell task', async () => {
    await page.goto(`${api.url}/tasks`);
    await page.click('[data-test=new-task]');
    await page.waitForURL(`${api.url}/tasks/new`);

    // Saving without a command shows the inline error and sends nothing.
    await page.fill('[data-test=task-name]', 'browser-ticks');
    await page.click('[data-test=save]');
    await page.locator('.el-form-item__error', { hasText: 'Required' }).waitFor();
    expect(page.url()).toBe(`${api.url}/tasks/new`);

    await page.fill('[data-test=task-command]', TICKING_COMMAND);
    await page.click('[data-test=save]');
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await screenshot(page, '03-task');

    const tasks = await api.expect<{ items: { name: string; config: { command: string } }[] }>(
      200,
      'GET',
      '/api/tasks?search=browser-ticks',
    );
    expect(tasks.items[0]?.config.command).toBe(TICKING_COMMAND);
  });

  it('validates an HTTP task inline', async () => {
    await page.goto(`${api.url}/tasks/new`);
    await page.locator('[data-test=task-kind] label', { hasText: 'HTTP' }).click();
    await page.fill('[data-test=task-name]', 'browser-health-check');
    await page.fill('[data-test=task-url]', 'ftp://127.0.0.1/health');
    await page.fill('[data-test=task-expected-status]', '200, abc');
    await page.click('[data-test=save]');

    await page.locator('.el-form-item__error', { hasText: 'An http:// or https:// URL' }).waitFor();
    await page.locator('.el-form-item__error', { hasText: 'Status codes from 100 to 599' }).waitFor();
    expect(page.url()).toBe(`${api.url}/tasks/new`);

    await page.fill('[data-test=task-url]', 'http://127.0.0.1:9/health');
    await page.fill('[data-test=task-expected-status]', '200, 204');
    await page.click('[data-test=save]');
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    const task = await api.expect<{ kind: string; config: { method: string; url: string; expectedStatus: number[] } }>(
      200,
      'GET',
      `/api/tasks/${page.url().split('/').pop()!}`,
    );
    expect(task.kind).toBe('http');
    expect(task.config.method).toBe('GET');
    expect(task.config.url).toBe('http://127.0.0.1:9/health');
    expect(task.config.expectedStatus).toEqual([200, 204]);
  });

  it('creates a pipeline firing every ten seconds', async () => {
    await page.goto(`${api.url}/pipelines`);
    await page.click('[data-test=new-pipeline]');
    await page.waitForURL(`${api.url}/pipelines/new`);

    await page.fill('[data-test=pipeline-name]', 'browser-every-10s');
    await page.fill('[data-test=pipeline-cron]', '*/10 * * * * *');
    await page.locator('[data-test=cron-description]').filter({ hasText: 'Every 10 seconds' }).waitFor();
    expect(await page.locator('[data-test=cron-fire]').count()).toBe(10);
    await choose(page, '[data-test=step-task]', 'browser-ticks');
    await choose(page, '[data-test=pipeline-nodes]', 'browser-node-1');
    await page.keyboard.press('Escape');
    await screenshot(page, '04-pipeline-editor');

    await page.click('[data-test=save]');
    await page.waitForURL(/\/pipelines\/[0-9a-f-]{36}$/);
    tickingPipelineId = page.url().split('/').pop()!;

    const pipeline = await api.expect<{ cron: string; enabled: boolean; nodeIds: string[]; steps: unknown[] }>(
      200,
      'GET',
      `/api/pipelines/${tickingPipelineId}`,
    );
    expect(pipeline.cron).toBe('*/10 * * * * *');
    expect(pipeline.enabled).toBe(true);
    expect(pipeline.nodeIds).toEqual([nodeId]);
    expect(pipeline.steps).toHaveLength(1);
  });

  it('shows output arriving live', async () => {
    await page.goto(`${api.url}/runs?pipelineId=${tickingPipelineId}`);
    // The list adds the scheduled run when its live event arrives, without a reload.
    const running = page.locator('[data-test=runs-table] tr', { has: page.locator('[data-status=running]') });
    await running.first().waitFor({ timeout: 30_000 });
    await screenshot(page, '05-runs');
    await running.first().locator('[data-test=run-link]').click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);

    await page.locator('[data-test=live-output] .xterm-rows', { hasText: 'tick 1' }).waitFor();
    const early = await terminalText(page);
    expect(await page.locator('[data-test=run-status]').getAttribute('data-status')).toBe('running');
    expect(early).not.toContain('all green');

    await page.locator('[data-test=run-status][data-status=succeeded]').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=live-output] .xterm-rows', { hasText: 'all green' }).waitFor();
    const lines = (await terminalText(page)).split('\n').filter((line) => line.trim() !== '');
    expect(lines).toEqual(['tick 1', 'tick 2', 'tick 3', 'tick 4', 'tick 5', 'tick 6', 'all green']);
    // ANSI green reaches the terminal as a colour, not as escape characters.
    expect(await page.locator('[data-test=live-output] .xterm-fg-2').first().innerText()).toBe('all green');
    expect(await page.locator('[data-test=exit-code]').innerText()).toContain('exit code 0');
    await screenshot(page, '06-run-live');

    await page.goto(`${api.url}/pipelines/${tickingPipelineId}`);
    await page.click('[data-test=disable]');
    await page.locator('[data-test=pipeline-state]', { hasText: 'Disabled' }).waitFor();
  });

  it('runs a pipeline now', async () => {
    await page.goto(`${api.url}/pipelines/${tickingPipelineId}`);
    await page.click('[data-test=run-now]');
    await page.click('[data-test=run-now-confirm]');
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const runId = page.url().split('/').pop()!;

    await page.locator('[data-test=run-status][data-status=succeeded]').waitFor({ timeout: 30_000 });
    const run = await api.expect<{ trigger: string; pipelineId: string }>(200, 'GET', `/api/runs/${runId}`);
    expect(run.trigger).toBe('manual');
    expect(run.pipelineId).toBe(tickingPipelineId);
  });

  it('kills a long run', async () => {
    const pipelineId = await createPipeline('browser-long', 'echo started; sleep 300');
    await page.goto(`${api.url}/pipelines/${pipelineId}`);
    await page.click('[data-test=run-now]');
    await page.click('[data-test=run-now-confirm]');
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.locator('[data-test=live-output] .xterm-rows', { hasText: 'started' }).waitFor({ timeout: 20_000 });

    await page.click('[data-test=kill]');
    await page.locator('.el-message-box__btns .el-button--primary').click();

    await page.locator('[data-test=run-status][data-status=killed]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-test=kill]').count()).toBe(0);
    await screenshot(page, '07-run-killed');
  });

  it('shows a failure on the dashboard live', async () => {
    const pipelineId = await createPipeline('browser-failing', 'echo about to fail >&2; exit 3');
    await page.goto(`${api.url}/`);
    await page.waitForSelector('[data-test=latest-failures]');

    const started = await api.expect<{ runs: { runId: string }[] }>(
      201,
      'POST',
      `/api/pipelines/${pipelineId}/runs`,
      {},
    );
    const runId = started.runs[0].runId;
    const link = page.locator(`[data-test=failure-link][href="/runs/${runId}"]`);
    await link.waitFor({ timeout: 20_000 });
    await screenshot(page, '08-dashboard-failure');

    await link.click();
    await page.locator('[data-test=run-status][data-status=failed]').waitFor();
    expect(await page.locator('[data-test=exit-code]').innerText()).toContain('exit code 3');
    await page.locator('[data-test=live-output] .xterm-rows', { hasText: 'about to fail' }).waitFor();
    await screenshot(page, '09-run-failed');
  });

  it('switches to Chinese and remembers it', async () => {
    await page.goto(`${api.url}/`);
    await choose(page, '[data-test=locale]', '简体中文');
    await page.locator('[data-nav="/"]', { hasText: '概览' }).waitFor();
    expect(await page.locator('h1').first().innerText()).toBe('概览');

    await page.reload();
    await page.locator('[data-nav="/pipelines"]', { hasText: '流水线' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    await screenshot(page, '10-dashboard-zh');
    await page.goto(`${api.url}/pipelines/${tickingPipelineId}`);
    await page.locator('[data-test=cron-description]', { hasText: '每 10 秒' }).waitFor();
    await screenshot(page, '11-pipeline-zh');

    await choose(page, '[data-test=locale]', 'English');
    await page.locator('[data-nav="/"]', { hasText: 'Dashboard' }).waitFor();
  });

  it('labels and drains a node', async () => {
    await page.goto(`${api.url}/nodes/${nodeId}`);
    expect(await page.locator('[data-test=delete]').isDisabled()).toBe(true);
    await page.click('[data-test=edit-labels]');
    await page.click('[data-test=add-pair]');
    await page.fill('[data-test=key]', 'role');
    await page.fill('[data-test=value]', 'web');
    await page.click('[data-test=save-labels]');
    await page.locator('.el-tag', { hasText: 'role=web' }).waitFor();
    const labelled = await api.expect<{ labels: Record<string, string> }>(200, 'GET', `/api/nodes/${nodeId}`);
    expect(labelled.labels).toMatchObject({ role: 'web' });

    await page.click('[data-test=drain]');
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await page.locator('[data-test=node-status][data-status=draining]').waitFor();
    await page.click('[data-test=undrain]');
    await page.locator('[data-test=node-status][data-status=online]').waitFor();
  });

  it('keeps a screenshot of each page', async () => {
    const pages: [string, string, string][] = [
      ['12-pipelines', '/pipelines', '[data-test=pipeline-link]'],
      ['13-tasks', '/tasks', '[data-test=task-link]'],
      ['14-nodes', '/nodes', '[data-test=node-link]'],
      ['15-node', `/nodes/${nodeId}`, '[data-test=node-status]'],
      ['16-users', '/users', '[data-test=users-table] .el-table__row'],
      ['17-tokens', '/tokens', '[data-test=tokens-table]'],
      ['18-settings', '/settings', 'form'],
    ];
    for (const [name, path, ready] of pages) {
      await page.goto(`${api.url}${path}`);
      await page.locator(ready).first().waitFor();
      await screenshot(page, name);
    }

    await page.goto(`${api.url}/nodes`);
    await page.click('[data-test=enroll]');
    await page.fill('[data-test=enroll-name]', 'web servers');
    await page.click('[data-test=enroll-create]');
    const command = await page.locator('[data-test=enroll-command]').innerText();
    expect(command).toContain(api.url);
    expect(command).toContain(await page.locator('[data-test=enroll-token]').innerText());
    await screenshot(page, '19-enroll');

    await page.goto(`${api.url}/audit`);
    await page.locator('[data-test=audit-table] .el-table__expand-icon').first().click();
    await page.locator('[data-test=json-diff]').first().waitFor();
    await screenshot(page, '20-audit');
  });

  it('denies a viewer any edit', async () => {
    const viewer = await openContext(browser, problems);
    try {
      await signIn(viewer.page, api.url, VIEWER_EMAIL, VIEWER_PASSWORD);
      expect(await viewer.page.locator('[data-nav="/users"]').count()).toBe(0);

      await viewer.page.goto(`${api.url}/pipelines/${tickingPipelineId}`);
      await viewer.page.locator('[data-test=pipeline-name]').waitFor();
      expect(await viewer.page.locator('[data-test=pipeline-name]').isDisabled()).toBe(true);
      for (const button of ['save', 'run-now', 'enable', 'disable', 'delete', 'step-add', 'step-remove']) {
        expect(await viewer.page.locator(`[data-test=${button}]`).count(), button).toBe(0);
      }
      await screenshot(viewer.page, '21-viewer-pipeline');

      await viewer.page.goto(`${api.url}/pipelines`);
      await viewer.page.locator('[data-test=pipeline-link]').first().waitFor();
      expect(await viewer.page.locator('[data-test=new-pipeline]').count()).toBe(0);
      await viewer.page.goto(`${api.url}/pipelines/new`);
      await viewer.page.locator('.el-result', { hasText: 'Page not found' }).waitFor();
      await screenshot(viewer.page, '22-viewer-denied');

      // The API rejects the edit too, whatever the browser shows.
      const token = await viewer.page.evaluate(
        () => (JSON.parse(localStorage.getItem('ects.session') ?? '{}') as { accessToken: string }).accessToken,
      );
      const edit = await fetch(`${api.url}/api/pipelines/${tickingPipelineId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ description: 'changed by a viewer' }),
      });
      expect(edit.status).toBe(403);
    } finally {
      await viewer.context.close();
    }
  });

  it('signs out and back to sign-in', async () => {
    await page.goto(`${api.url}/`);
    await page.click('[data-test=user-menu]');
    await page.locator('[data-test=sign-out]:visible').click();
    await page.waitForURL(/\/sign-in/);
    await page.locator('.el-alert', { hasText: 'You are signed out.' }).waitFor();

    await page.goto(`${api.url}/runs`);
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)runs$/);
  });

  it('loads the dashboard within a second with 10,000 runs', async () => {
    await insertRuns(database.url, RUN_COUNT, { pipelineId: tickingPipelineId, nodeId });
    await signIn(page, api.url, ADMIN_EMAIL, ADMIN_PASSWORD);

    const timings: number[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const started = Date.now();
      await page.goto(`${api.url}/`);
      await page.locator('[data-test=success-rate]').waitFor();
      await page.locator('.chart canvas').waitFor();
      timings.push(Date.now() - started);
    }
    const runs = Number(
      await page
        .locator('.el-card__header', { hasText: 'Runs in the last 24 hours' })
        .innerText()
        .then((text) => /\((\d+)\)/.exec(text)?.[1]),
    );
    await screenshot(page, '23-dashboard-10k');
    process.stderr.write(`[browser] dashboard with ${runs} runs in 24 h loaded in ${timings.join(', ')} ms\n`);

    expect(runs).toBeGreaterThanOrEqual(RUN_COUNT);
    // Each load is a full page load of the built SPA from the API, chart included, signed in already.
    for (const timing of timings) {
      expect(timing).toBeLessThan(1_000);
    }
  });

  it('logs no console errors', () => {
    expect(problems.entries).toEqual([]);
  });
});

/** Writes finished runs spread over the last 24 hours straight into the database, in batches. */
async function insertRuns(
  databaseUrl: string,
  count: number,
  owner: { pipelineId: string; nodeId: string },
): Promise<void> {
  const url = new URL(databaseUrl.replace(/^mariadb:/, 'mysql:'));
  const connection = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    timezone: 'Z',
  });
  const statuses = ['succeeded', 'succeeded', 'succeeded', 'failed', 'timed_out', 'killed'];
  const now = Date.now();
  try {
    for (let offset = 0; offset < count; offset += 1000) {
      const rows = Array.from({ length: Math.min(1000, count - offset) }, (_, index) => {
        const startedAt = new Date(now - 60_000 - ((offset + index) * 23 * 3_600_000) / count);
        const status = statuses[(offset + index) % statuses.length];

        return [
          randomUUID(),
          owner.pipelineId,
          'browser-every-10s',
          1,
          owner.nodeId,
          'browser-node-1',
          'schedule',
          null,
          startedAt,
          startedAt,
          new Date(startedAt.getTime() + 1_000 + ((offset + index) % 50) * 100),
          status,
          status === 'succeeded' ? null : 'step 1 (browser-ticks) exited with code 1',
        ];
      });
      await connection.query(
        'INSERT INTO runs (id, pipeline_id, pipeline_name, pipeline_version, node_id, node_name, `trigger`, ' +
          'triggered_by, scheduled_at, started_at, finished_at, status, exit_summary) VALUES ?',
        [rows],
      );
    }
  } finally {
    await connection.end();
  }
}
