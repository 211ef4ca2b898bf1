// Scenario 7: API latency with a large run history. Runs and their step runs are seeded with
// multi-row INSERTs straight into MariaDB, then concurrent clients call the runs list (filtered by
// pipeline and by status), the run page and the dashboard summary.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

import { Cluster } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

const DAY_MS = 86_400_000;
/** Seeded runs start within this many days before now, inside the default retention of 90 days. */
const HISTORY_DAYS = 30;
const ROWS_PER_INSERT = 2_000;
/** Share of each final status among seeded runs; the rest succeeded. */
const STATUS_SHARES = [
  ['failed', 0.03],
  ['timed_out', 0.01],
  ['killed', 0.005],
  ['lost', 0.005],
];
const RUNNING_RUNS = 20;

export default {
  name: 'api-scale',
  title: 'API at scale',
  options: {
    runs: { default: 1_000_000, quick: 20_000, description: 'runs seeded into MariaDB, each with one step run' },
    'seed-pipelines': { default: 100, quick: 10, description: 'pipelines the seeded runs are spread over' },
    clients: { default: 20, quick: 5, description: 'concurrent HTTP clients' },
    'request-seconds': { default: 10, quick: 3, description: 'seconds each request kind is measured' },
  },
  explain: [
    'Runs are spread evenly over the pipelines and the last 30 days, 95 % succeeded and the rest failed,',
    'timed out, killed or lost, each with one step run. Every request kind is measured on its own for the',
    'given seconds by concurrent clients in the benchmark process (plain fetch loops, one request at a time',
    'per client), so the clients use the same cores as the API and MariaDB. Latency is from sending the',
    'request to reading the whole body. Lists ask for 50 runs per page, newest first, with their total.',
  ],

  async run({ services, options, log, onCleanup }) {
    const cluster = await Cluster.start(services, { name: 'apiscale' });
    onCleanup(() => cluster.stop());
    const agent = cluster.agents[0];

    const task = await cluster.createShellTask('seeded', 'true');
    const pipelines = [];
    for (let index = 0; index < options['seed-pipelines']; index++) {
      // Daily fires at 04:00 UTC and later, one second apart, so none fires during a run of the benchmark.
      pipelines.push(
        await cluster.createPipeline({
          name: `seeded-${index + 1}`,
          cron: `${index % 60} ${Math.floor(index / 60) % 60} 4 * * *`,
          nodeIds: [agent.nodeId],
          steps: [{ taskId: task.id }],
        }),
      );
    }

    log(`seeding ${options.runs} runs and as many step runs`);
    const seedStartedAt = Date.now();
    const sample = await seedRuns(cluster, pipelines, agent, task, options.runs);
    const seedSeconds = (Date.now() - seedStartedAt) / 1000;
    log(`seeded in ${seedSeconds.toFixed(0)} s`);

    const pick = (list) => list[Math.floor(Math.random() * list.length)];
    const requests = [
      {
        label: 'runs list by pipeline',
        path: () => `/api/runs?pipelineId=${pick(pipelines).id}&pageSize=50`,
      },
      { label: 'runs list by status failed (3 % of runs)', path: () => '/api/runs?status=failed&pageSize=50' },
      { label: 'runs list by status succeeded (95 % of runs)', path: () => '/api/runs?status=succeeded&pageSize=50' },
      { label: 'run page', path: () => `/api/runs/${pick(sample)}` },
      { label: 'dashboard summary', path: () => '/api/dashboard/summary' },
    ];

    const figures = { seedSeconds: Number(seedSeconds.toFixed(1)), requests: {} };
    const rows = [];
    for (const request of requests) {
      log(`measuring ${request.label}`);
      const measured = await measureRequests(cluster, request.path, options.clients, options['request-seconds']);
      figures.requests[request.label] = measured;
      rows.push({
        figure: `${request.label}, ${options.clients} clients: p50 / p95 latency`,
        value:
          `${measured.latencyMs.p50} / ${measured.latencyMs.p95} ms ` +
          `(${measured.requestsPerSecond} requests/s${measured.errors > 0 ? `, ${measured.errors} errors` : ''})`,
        target: 'p95 < 50 ms',
        met: measured.errors === 0 && measured.latencyMs.p95 !== null && measured.latencyMs.p95 < 50,
      });
    }

    return {
      parameters: {
        runs: options.runs,
        pipelines: options['seed-pipelines'],
        clients: options.clients,
        requestSeconds: options['request-seconds'],
      },
      figures,
      rows,
      notes: [`Seeding ${options.runs} runs with their step runs took ${seedSeconds.toFixed(0)} s.`],
    };
  },
};

/** Returns a UUIDv7 string for the given time, so seeded ids sort like the agent's. */
function uuidv7(ms) {
  const time = ms.toString(16).padStart(12, '0');
  const random = randomBytes(10).toString('hex');
  const variant = (8 | (parseInt(random[3], 16) & 3)).toString(16);

  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(0, 3)}-${variant}${random.slice(4, 7)}-${random.slice(7, 19)}`;
}

/** Returns the exit code a shell step of a run with this status would have. */
function exitCodeFor(status) {
  if (status === 'succeeded') {
    return 0;
  }
  if (status === 'failed') {
    return 1;
  }

  return null;
}

function statusFor(index, count) {
  if (index >= count - RUNNING_RUNS) {
    return 'running';
  }
  let threshold = Math.random();
  for (const [status, share] of STATUS_SHARES) {
    if (threshold < share) {
      return status;
    }
    threshold -= share;
  }

  return 'succeeded';
}

/**
 * Inserts `count` runs in time order over the last HISTORY_DAYS days, each with one step run, and
 * returns a sample of run ids for the run page.
 */
async function seedRuns(cluster, pipelines, agent, task, count) {
  const now = Date.now();
  const first = now - HISTORY_DAYS * DAY_MS;
  const spacing = (HISTORY_DAYS * DAY_MS) / count;
  const taskSnapshot = JSON.stringify({ id: task.id, name: task.name, kind: 'shell', config: { command: 'true' } });
  const sample = [];

  // The rows are valid by construction, so the bulk load skips the per-row foreign key checks.
  await cluster.query('SET SESSION foreign_key_checks = 0');
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const runs = [];
    const steps = [];
    for (let index = start; index < Math.min(count, start + ROWS_PER_INSERT); index++) {
      const startedAt = new Date(first + index * spacing);
      const scheduledAt = new Date(Math.floor(startedAt.getTime() / 1000) * 1000);
      const status = statusFor(index, count);
      const durationMs = 50 + Math.floor(Math.random() * 5_000);
      const finishedAt = status === 'running' ? null : new Date(startedAt.getTime() + durationMs);
      const pipeline = pipelines[index % pipelines.length];
      const runId = uuidv7(startedAt.getTime());
      const exitSummary = status === 'succeeded' || status === 'running' ? null : `step 0 (seeded) ${status}`;
      runs.push([
        runId,
        pipeline.id,
        pipeline.name,
        1,
        agent.nodeId,
        agent.name,
        'schedule',
        null,
        scheduledAt,
        startedAt,
        finishedAt,
        status,
        exitSummary,
        startedAt,
      ]);
      steps.push([
        uuidv7(startedAt.getTime()),
        runId,
        0,
        'step',
        taskSnapshot,
        1,
        status === 'lost' ? 'running' : status,
        exitCodeFor(status),
        startedAt,
        finishedAt,
        0,
      ]);
      if (index % Math.max(1, Math.floor(count / 1000)) === 0) {
        sample.push(runId);
      }
    }
    await cluster.query(
      'INSERT INTO runs (id, pipeline_id, pipeline_name, pipeline_version, node_id, node_name, `trigger`, ' +
        'triggered_by, scheduled_at, started_at, finished_at, status, exit_summary, created_at) VALUES ?',
      [runs],
    );
    await cluster.query(
      'INSERT INTO step_runs (id, run_id, position, role, task_snapshot, attempts, status, exit_code, ' +
        'started_at, finished_at, output_bytes) VALUES ?',
      [steps],
    );
  }
  await cluster.query('SET SESSION foreign_key_checks = 1');
  await cluster.query('ANALYZE TABLE runs, step_runs');

  return sample;
}

/** Runs `clients` request loops for `seconds` and returns the latency summary, rate and error count. */
async function measureRequests(cluster, path, clients, seconds) {
  const latencies = [];
  let errors = 0;
  const deadline = Date.now() + seconds * 1000;
  const headers = { authorization: `Bearer ${cluster.api.token}` };

  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const started = performance.now();
        const response = await fetch(`${cluster.api.url}${path()}`, { headers });
        await response.arrayBuffer();
        latencies.push(performance.now() - started);
        if (response.status !== 200) {
          errors++;
        }
      }
    }),
  );

  return {
    latencyMs: summarize(latencies, 1),
    requests: latencies.length,
    requestsPerSecond: Number((latencies.length / seconds).toFixed(1)),
    errors,
  };
}
