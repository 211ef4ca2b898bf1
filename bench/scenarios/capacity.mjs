// Scenario 2: one agent holding 10,000 enabled pipelines with staggered daily fire times. Measures
// the agent's memory and CPU while no pipeline fires, the lateness of fires among them, and the time
// the agent takes to load all of them after a restart.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Cluster, waitFor } from '../lib/cluster.mjs';
import { UsageSampler } from '../lib/processes.mjs';
import { compareWithExpected, createStampDirectory, ectsStampCommand, readStamps } from '../lib/stamps.mjs';
import { megabytes, summarize } from '../lib/stats.mjs';

const HOUR_MS = 3_600_000;
const ROWS_PER_INSERT = 1_000;
/** Estimated time to create one pipeline through the API, used to place the fire window after the creates. */
const CREATE_ESTIMATE_MS = 60;
const SETTLE_MS = 5_000;
/** Time a restarted agent gets to load every pipeline. */
const RESTART_TIMEOUT_MS = 45_000;

export default {
  name: 'capacity',
  title: 'Scheduling capacity',
  options: {
    'capacity-pipelines': { default: 10_000, quick: 1_000, description: 'enabled pipelines on one agent' },
    'window-pipelines': { default: 200, quick: 20, description: 'of those, pipelines that fire during the run' },
    'window-seconds': { default: 40, quick: 10, description: 'seconds over which their fires are staggered' },
    'idle-seconds': { default: 30, quick: 10, description: 'seconds of agent CPU and memory measured with no fire' },
  },
  explain: [
    'All but the window pipelines are copied in SQL from one pipeline created through the API (creating',
    '10,000 through the API one at a time takes minutes), with daily cron times spread over the 20 hours',
    'that start 2 hours from now; the API is then restarted, and its start-up reconcile publishes them to',
    'etcd. The window pipelines are created through the API with daily times staggered over the window.',
    'Idle figures are taken while no pipeline fires. Load time after a restart is from spawning the agent',
    'process to its metrics reporting every assignment, once with its assignment cache (a normal restart)',
    'and once with the cache deleted, so everything comes from etcd.',
  ],

  async run({ services, options, log, onCleanup }) {
    const total = options['capacity-pipelines'];
    const windowCount = options['window-pipelines'];
    const stamps = createStampDirectory('ects-bench-capacity-');
    onCleanup(() => rmSync(stamps.directory, { recursive: true, force: true }));
    const cluster = await Cluster.start(services, { name: 'capacity' });
    onCleanup(() => cluster.stop());
    const agent = cluster.agents[0];

    const file = join(stamps.directory, 'capacity.log');
    const task = await cluster.createShellTask('capacity', ectsStampCommand(stamps.script, file));
    const seedStartedAt = Date.now();
    const template = await cluster.createPipeline({
      name: 'capacity-1',
      cron: dailyCron(laterTime(seedStartedAt, 0, total - windowCount)),
      nodeIds: [agent.nodeId],
      steps: [{ taskId: task.id }],
    });
    log(`copying pipeline ${template.id} ${total - windowCount - 1} times in SQL`);
    await copyPipeline(cluster, template.id, total - windowCount - 1, (index) =>
      dailyCron(laterTime(seedStartedAt, index, total - windowCount)),
    );
    await cluster.restartApi();
    const seeded = await waitForAssignments(cluster, agent, total - windowCount, 5 * 60_000);
    log(
      `the agent loaded ${seeded} pipelines ${((Date.now() - seedStartedAt) / 1000).toFixed(0)} s after seeding began`,
    );

    const windowStart =
      Math.ceil((Date.now() + windowCount * CREATE_ESTIMATE_MS + options['idle-seconds'] * 1000 + 5_000) / 1000) * 1000;
    const windowNames = Array.from({ length: windowCount }, (_, index) => `capacity-window-${index + 1}`);
    const fireTimes = windowNames.map(
      (_, index) => windowStart + Math.floor((index * options['window-seconds']) / windowCount) * 1000,
    );
    for (const [index, name] of windowNames.entries()) {
      await cluster.createPipeline({
        name,
        cron: dailyCron(fireTimes[index]),
        nodeIds: [agent.nodeId],
        steps: [{ taskId: task.id }],
      });
    }
    await waitForAssignments(cluster, agent, total, 60_000);

    const idleUntil = windowStart - 1_000;
    if (idleUntil - Date.now() < 5_000) {
      throw new Error('Creating the window pipelines took too long to leave an idle period before the fires');
    }
    log(`measuring the idle agent for ${((idleUntil - Date.now()) / 1000).toFixed(0)} s`);
    await sleep(1_000);
    const idleSampler = new UsageSampler(agent.process.pid, 500);
    await sleep(idleUntil - Date.now());
    const idle = idleSampler.stop();

    log(`measuring ${windowCount} fires over ${options['window-seconds']} s`);
    await sleep(Math.max(...fireTimes) + SETTLE_MS - Date.now());
    // Every window pipeline has its own fire time, so each is compared with its own nominal time.
    const stampsByTime = readStamps(file);
    let misses = 0;
    const lateness = [];
    for (const [index, name] of windowNames.entries()) {
      const compared = compareWithExpected(stampsByTime, [name], [fireTimes[index]]);
      misses += compared.misses;
      lateness.push(...compared.latenessMs);
    }
    const latenessStats = summarize(lateness);

    log('restarting the agent with its assignment cache');
    const warm = await measureRestart(cluster, agent, total, false);
    log('restarting the agent without its assignment cache');
    const cold = await measureRestart(cluster, agent, total, true);

    const idleCpu = Number(idle.cpuPercentOfOneCore.toFixed(2));
    return {
      parameters: {
        pipelines: total,
        windowPipelines: windowCount,
        windowSeconds: options['window-seconds'],
        idleSeconds: Number(idle.seconds.toFixed(1)),
      },
      figures: {
        idle: {
          rssMaxMB: megabytes(idle.rssMaxBytes),
          rssMeanMB: megabytes(idle.rssMeanBytes),
          cpuPercentOfOneCore: idleCpu,
        },
        window: { latenessMs: latenessStats, misses },
        restartWithCache: warm,
        restartWithoutCache: cold,
      },
      rows: [
        {
          figure: `${total} pipelines, idle: agent max RSS (mean)`,
          value: `${megabytes(idle.rssMaxBytes)} MB (${megabytes(idle.rssMeanBytes)} MB)`,
          target: '< 150 MB',
          met: idle.rssMaxBytes < 150 * 1_000_000,
        },
        {
          figure: 'idle: agent CPU (100 % = one core)',
          value: `${idleCpu} %`,
          target: '',
          met: null,
        },
        {
          figure: `${windowCount} staggered fires: lateness p50 / p99 / max, misses`,
          value: `${latenessStats.p50} / ${latenessStats.p99} / ${latenessStats.max} ms, ${misses} missed`,
          target: 'p99 < 20 ms',
          met: latenessStats.p99 !== null && latenessStats.p99 < 20 && misses === 0,
        },
        {
          figure: `restart: spawn → all ${total} loaded, with cache / without cache`,
          value: `${describeLoad(warm)} / ${describeLoad(cold)}`,
          target: '',
          met: null,
        },
      ],
      notes: [warm, cold]
        .filter((restart) => restart.etcdReadWarning !== null)
        .slice(0, 1)
        .map((restart) => `After a restart the agent logged: "${restart.etcdReadWarning}".`),
    };
  },
};

function describeLoad(restart) {
  return restart.loadMs === null
    ? `not loaded within ${RESTART_TIMEOUT_MS / 1000} s (${restart.loaded} loaded)`
    : `${(restart.loadMs / 1000).toFixed(1)} s`;
}

/** Returns the fire time of the index-th of `count` pipelines, spread over the 20 hours that start 2 hours after `from`. */
function laterTime(from, index, count) {
  return from + 2 * HOUR_MS + Math.floor((index * 20 * HOUR_MS) / count / 1000) * 1000;
}

/** Returns a daily cron (6 fields, UTC) that fires at the time of day of the given instant. */
function dailyCron(ms) {
  const at = new Date(ms);

  return `${at.getUTCSeconds()} ${at.getUTCMinutes()} ${at.getUTCHours()} * * *`;
}

/**
 * Inserts `copies` copies of a pipeline with its steps and node bindings, named after the
 * template with a number, each with the cron from `cronFor`.
 */
async function copyPipeline(cluster, templateId, copies, cronFor) {
  const [pipeline] = await cluster.query('SELECT * FROM pipelines WHERE id = ?', [templateId]);
  const steps = await cluster.query('SELECT * FROM pipeline_steps WHERE pipeline_id = ?', [templateId]);
  const bindings = await cluster.query('SELECT * FROM pipeline_nodes WHERE pipeline_id = ?', [templateId]);
  const baseName = pipeline.name.replace(/-1$/, '');

  const insert = async (table, rows) => {
    if (rows.length === 0) {
      return;
    }
    const columns = Object.keys(rows[0]);
    await cluster.query(`INSERT INTO \`${table}\` (${columns.map((column) => `\`${column}\``).join(', ')}) VALUES ?`, [
      rows.map((row) => columns.map((column) => row[column])),
    ]);
  };

  for (let start = 1; start <= copies; start += ROWS_PER_INSERT) {
    const pipelineRows = [];
    const stepRows = [];
    const bindingRows = [];
    for (let index = start; index < Math.min(copies + 1, start + ROWS_PER_INSERT); index++) {
      const id = randomUUID();
      pipelineRows.push({ ...pipeline, id, name: `${baseName}-${index + 1}`, cron: cronFor(index) });
      stepRows.push(...steps.map((step) => ({ ...step, id: randomUUID(), pipeline_id: id })));
      bindingRows.push(
        ...bindings.map((binding) => ({
          ...binding,
          pipeline_id: id,
          ...('id' in binding ? { id: randomUUID() } : {}),
        })),
      );
    }
    await insert('pipelines', pipelineRows);
    await insert('pipeline_steps', stepRows);
    await insert('pipeline_nodes', bindingRows);
  }
}

/** Waits until the agent's metrics report `count` assignments, and returns the count. */
async function waitForAssignments(cluster, agent, count, timeoutMs) {
  const samples = await waitFor(
    `the agent to load ${count} pipelines`,
    () => cluster.agentMetrics(agent),
    (metrics) => metrics.get('ects_agent_assignments') === count,
    timeoutMs,
    50,
  );

  return samples.get('ects_agent_assignments');
}

/**
 * Stops the agent, optionally deletes its assignment cache, starts it, and times how long it takes
 * until its metrics report every pipeline. Gives up after RESTART_TIMEOUT_MS and then returns the
 * last count and the agent's first warning about reading its assignments.
 */
async function measureRestart(cluster, agent, count, withoutCache) {
  await agent.process.stop('SIGTERM', 30_000);
  if (withoutCache) {
    rmSync(join(agent.stateDir, 'assignments.json'), { force: true });
  }

  await cluster.restartAgent(agent);
  const spawnedAt = Date.now();
  let startedLine = null;
  let readWarning = null;
  agent.process.onLine((line, receivedAt) => {
    const started = /started: (\d+) pipelines scheduled/.exec(line);
    if (started !== null && startedLine === null) {
      startedLine = { scheduled: Number(started[1]), afterMs: receivedAt - spawnedAt };
    }
    const warning = /Reading the assignments of node [^"]* failed[^"]*/.exec(line);
    if (warning !== null && readWarning === null) {
      readWarning = warning[0];
    }
  });

  let loaded = 0;
  while (Date.now() - spawnedAt < RESTART_TIMEOUT_MS) {
    // Until the agent has booted, its metrics port refuses connections; that counts as nothing loaded.
    const metrics = await cluster.agentMetrics(agent).catch(() => new Map());
    loaded = metrics.get('ects_agent_assignments') ?? 0;
    if (loaded === count) {
      break;
    }
    await sleep(50);
  }
  const loadMs = loaded === count ? Date.now() - spawnedAt : null;
  // A restart with the cache loads from disk first, so the etcd read is given a moment to report a failure.
  await sleep(Math.max(0, spawnedAt + 5_000 - Date.now()));

  return { loadMs, loaded, startedLogLine: startedLine, etcdReadWarning: readWarning };
}
