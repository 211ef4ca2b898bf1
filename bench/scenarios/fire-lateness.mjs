// Scenario 1: how late a step's process starts after its nominal fire time, measured by the
// process itself, for pipelines firing every second and, side by side with Debian's cron, for jobs
// firing on the same minute boundaries.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Cluster, waitFor } from '../lib/cluster.mjs';
import { ManagedProcess, UsageSampler } from '../lib/processes.mjs';
import { createStampDirectory, compareWithExpected, ectsStampCommand, readStamps } from '../lib/stamps.mjs';
import { megabytes, summarize } from '../lib/stats.mjs';

const CRON_FILE = '/etc/cron.d/ects-bench';
const CRON_BINARY = '/usr/sbin/cron';
/** Time after the last fire for the last processes to write their stamps. */
const SETTLE_MS = 5_000;

export default {
  name: 'fire-lateness',
  title: 'Fire lateness',
  options: {
    pipelines: { default: 100, quick: 20, description: 'pipelines firing every second, and cron jobs' },
    duration: { default: 120, quick: 10, description: 'seconds of every-second fires that are measured' },
    'cron-minutes': { default: 2, quick: 1, description: 'minute boundaries measured side by side with cron' },
    'no-cron': { type: 'boolean', description: 'skip the side-by-side comparison with cron' },
    'fire-max-concurrent-runs': {
      default: 16,
      quick: 16,
      description: 'ECTS_MAX_CONCURRENT_RUNS of the agent (the agent default is 16)',
    },
  },
  explain: [
    "Lateness is the start time that the step's process writes itself (`date +%s%N` in a shell script)",
    'minus the nominal fire time the agent passes in `ECTS_SCHEDULED_AT`. A miss is a fire with no stamp;',
    'the agent records such a fire as a skipped run when the previous run of its pipeline has not finished.',
    'The run start recorded by the agent is its own `started_at` minus `scheduled_at`, read from MariaDB. The',
    'cron comparison runs the same script from `/etc/cron.d` and from ECTS pipelines with cron',
    '`0 * * * * *` on the same minute boundaries, so at each boundary both start all their processes at once',
    'on the same cores; cron passes no nominal time, so its lateness is measured from the minute boundary.',
  ],

  async run({ services, options, log, onCleanup }) {
    const stamps = createStampDirectory('ects-bench-fire-');
    onCleanup(() => rmSync(stamps.directory, { recursive: true, force: true }));

    const maxConcurrentRuns = options['fire-max-concurrent-runs'];
    const cluster = await Cluster.start(services, {
      name: 'fire',
      agentEnv: { ECTS_MAX_CONCURRENT_RUNS: String(maxConcurrentRuns) },
    });
    onCleanup(() => cluster.stop());
    const agent = cluster.agents[0];
    const result = {
      parameters: {
        pipelines: options.pipelines,
        durationSeconds: options.duration,
        cronMinutes: options['cron-minutes'],
      },
      figures: {},
      rows: [],
      notes: [
        `The agent ran with ECTS_MAX_CONCURRENT_RUNS=${maxConcurrentRuns}, so fires beyond that many running ` +
          'runs waited for a slot.',
      ],
    };

    if (options['no-cron']) {
      result.notes.push('The comparison with cron was skipped (--no-cron).');
    } else {
      const comparison = await compareWithCron(cluster, agent, stamps, options, log, onCleanup);
      Object.assign(result.figures, comparison.figures);
      result.rows.push(...comparison.rows);
      result.notes.push(...comparison.notes);
    }

    const everySecond = await measureEverySecond(cluster, agent, stamps, options, log);
    Object.assign(result.figures, everySecond.figures);
    result.rows.unshift(...everySecond.rows);

    return result;
  },
};

/** Fires the pipelines every second for the measured duration, and compares their stamps with every expected fire. */
async function measureEverySecond(cluster, agent, stamps, options, log) {
  const pipelineCount = options.pipelines;
  log(`creating ${pipelineCount} pipelines that fire every second`);
  const file = join(stamps.directory, 'every-second.log');
  const task = await cluster.createShellTask('stamp-every-second', ectsStampCommand(stamps.script, file));
  const names = Array.from({ length: pipelineCount }, (_, index) => `every-second-${index + 1}`);
  const pipelines = await createPipelines(cluster, names, '* * * * * *', agent.nodeId, task.id);

  await waitFor(
    'a stamp from every pipeline',
    async () => new Set(readStamps(file).map((stamp) => stamp.label)),
    (labels) => labels.size === pipelineCount,
    60_000,
    500,
  );
  const windowStart = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  const windowEnd = windowStart + options.duration * 1000;
  log(`measuring ${options.duration} s of fires from ${new Date(windowStart).toISOString()}`);
  await sleep(windowStart - Date.now());
  const usage = new UsageSampler(agent.process.pid, 500);
  await sleep(windowEnd - Date.now());
  const agentUsage = usage.stop();
  await sleep(SETTLE_MS);
  await disablePipelines(cluster, pipelines);

  const fireTimes = Array.from({ length: options.duration }, (_, index) => windowStart + index * 1000);
  const compared = compareWithExpected(readStamps(file), names, fireTimes);
  const recorded = await cluster.query(
    'SELECT status, COUNT(*) AS count FROM runs WHERE pipeline_name LIKE ? AND scheduled_at >= ? AND scheduled_at < ? GROUP BY status',
    ['every-second-%', new Date(windowStart), new Date(windowEnd)],
  );
  const stats = summarize(compared.latenessMs);
  const expectedFires = pipelineCount * options.duration;
  const recordedStarts = await cluster.query(
    'SELECT TIMESTAMPDIFF(MICROSECOND, scheduled_at, started_at) / 1000 AS ms FROM runs ' +
      'WHERE pipeline_name LIKE ? AND scheduled_at >= ? AND scheduled_at < ? AND status <> ?',
    ['every-second-%', new Date(windowStart), new Date(windowEnd), 'skipped'],
  );
  const agentStats = summarize(recordedStarts.map((row) => Number(row.ms)));

  return {
    figures: {
      everySecond: {
        expectedFires,
        latenessMs: stats,
        misses: compared.misses,
        doubles: compared.doubles,
        recordedRunsByStatus: Object.fromEntries(recorded.map((row) => [row.status, Number(row.count)])),
        runStartRecordedByAgentMs: agentStats,
        agentRssMaxMB: megabytes(agentUsage.rssMaxBytes),
        agentCpuPercentOfOneCore: Number(agentUsage.cpuPercentOfOneCore.toFixed(1)),
      },
    },
    rows: [
      {
        figure: `every second, ${pipelineCount} pipelines × ${options.duration} s: lateness p50 / p99 / max`,
        value: `${stats.p50} / ${stats.p99} / ${stats.max} ms`,
        target: 'p99 < 20 ms',
        met: stats.p99 !== null && stats.p99 < 20,
      },
      {
        figure: 'every second: run start as recorded by the agent (started_at − scheduled_at) p50 / p99',
        value: `${agentStats.p50} / ${agentStats.p99} ms`,
        target: '',
        met: null,
      },
      {
        figure: 'every second: missed fires',
        value: `${compared.misses} of ${expectedFires}`,
        target: '0',
        met: compared.misses === 0,
      },
      {
        figure: 'every second: agent CPU (100 % = one core) and max RSS',
        value: `${agentUsage.cpuPercentOfOneCore.toFixed(1)} %, ${megabytes(agentUsage.rssMaxBytes)} MB`,
        target: '',
        met: null,
      },
    ],
  };
}

/**
 * Creates one pipeline per name, one request at a time.
 * NOTE: four concurrent POST /api/pipelines requests using one task deadlocked in MariaDB, and the
 * API returned 500, so pipelines are created one after the other.
 */
function createPipelines(cluster, names, cron, nodeId, taskId) {
  return Cluster.mapConcurrently(names, 1, (name) =>
    cluster.createPipeline({ name, cron, nodeIds: [nodeId], steps: [{ taskId }] }),
  );
}

function disablePipelines(cluster, pipelines) {
  return Cluster.mapConcurrently(pipelines, 1, (pipeline) =>
    cluster.api.expect(200, 'POST', `/api/pipelines/${pipeline.id}/disable`),
  );
}

/** Runs the same number of cron jobs and ECTS pipelines on the same minute boundaries, and compares their lateness. */
async function compareWithCron(cluster, agent, stamps, options, log, onCleanup) {
  const count = options.pipelines;
  const minutes = options['cron-minutes'];
  const cronFile = join(stamps.directory, 'cron.log');
  const ectsFile = join(stamps.directory, 'every-minute.log');
  const cronLabels = Array.from({ length: count }, (_, index) => `cron-${index + 1}`);
  const ectsLabels = Array.from({ length: count }, (_, index) => `every-minute-${index + 1}`);

  const cron = startCron();
  onCleanup(() => stopCron(cron));
  writeFileSync(
    CRON_FILE,
    `# Written by npm run bench (fire-lateness); removed when the benchmark ends.\n` +
      `SHELL=/bin/sh\n` +
      cronLabels.map((label) => `* * * * * root /bin/sh ${stamps.script} ${label} - ${cronFile}\n`).join(''),
    { mode: 0o644 },
  );
  const installedAt = Date.now();

  log(`creating ${count} pipelines that fire at second 0 of every minute, next to ${count} cron jobs`);
  const task = await cluster.createShellTask('stamp-every-minute', ectsStampCommand(stamps.script, ectsFile));
  const pipelines = await createPipelines(cluster, ectsLabels, '0 * * * * *', agent.nodeId, task.id);

  // Cron rereads /etc/cron.d when it wakes at a minute boundary; a few seconds of margin let the
  // agent receive every pipeline too.
  const firstBoundary = Math.ceil((Math.max(installedAt, Date.now()) + 5_000) / 60_000) * 60_000;
  const boundaries = Array.from({ length: minutes }, (_, index) => firstBoundary + index * 60_000);
  const lastBoundary = boundaries.at(-1);
  log(`measuring ${minutes} minute boundaries, the last at ${new Date(lastBoundary).toISOString()}`);
  await sleep(lastBoundary + SETTLE_MS - Date.now());

  await stopCron(cron);
  await disablePipelines(cluster, pipelines);

  // Cron passes no nominal time, so each cron stamp belongs to the minute it started in.
  const cronStamps = readStamps(cronFile).map((stamp) => ({
    ...stamp,
    nominalMs: Math.floor(stamp.startedMs / 60_000) * 60_000,
  }));
  const cronResult = compareWithExpected(cronStamps, cronLabels, boundaries);
  const ectsResult = compareWithExpected(readStamps(ectsFile), ectsLabels, boundaries);
  const cronStats = summarize(cronResult.latenessMs);
  const ectsStats = summarize(ectsResult.latenessMs);
  const ratio = cronStats.p99 && ectsStats.p99 !== null ? Number((ectsStats.p99 / cronStats.p99).toFixed(3)) : null;

  return {
    figures: {
      minuteBoundaries: {
        boundaries: boundaries.map((boundary) => new Date(boundary).toISOString()),
        cron: { latenessMs: cronStats, misses: cronResult.misses, doubles: cronResult.doubles },
        ects: { latenessMs: ectsStats, misses: ectsResult.misses, doubles: ectsResult.doubles },
        p99Ratio: ratio,
      },
    },
    rows: [
      {
        figure: `minute boundaries (${minutes}), cron: lateness p50 / p99 / max, misses`,
        value: `${cronStats.p50} / ${cronStats.p99} / ${cronStats.max} ms, ${cronResult.misses} missed`,
        target: '',
        met: null,
      },
      {
        figure: `minute boundaries (${minutes}), ECTS: lateness p50 / p99 / max, misses`,
        value: `${ectsStats.p50} / ${ectsStats.p99} / ${ectsStats.max} ms, ${ectsResult.misses} missed`,
        target: 'p99 < 20 ms',
        met: ectsStats.p99 !== null && ectsStats.p99 < 20,
      },
      {
        figure: 'ECTS p99 ÷ cron p99 (lower is better)',
        value: ratio === null ? 'n/a' : String(ratio),
        target: '< 0.1',
        met: ratio !== null && ratio < 0.1,
      },
    ],
    notes: [
      `${count} cron jobs and ${count} ECTS pipelines fired on the same ${minutes} minute boundaries, ` +
        'so at each boundary both started their processes at the same moment on the same cores.',
    ],
  };
}

/** Starts Debian's cron in the foreground as a child process, so stopping it stops only this instance. */
function startCron() {
  if (!existsSync(CRON_BINARY)) {
    throw new Error(`${CRON_BINARY} is missing: install Debian's cron (apt-get install -y cron) or pass --no-cron`);
  }
  const running = spawnSync('pgrep', ['-x', 'cron'], { encoding: 'utf8' }).stdout.trim();
  if (running !== '') {
    // Another cron reads /etc/cron.d too; it would run the jobs a second time.
    throw new Error(`cron is already running (pid ${running}); stop it or pass --no-cron`);
  }

  return new ManagedProcess('cron', CRON_BINARY, ['-f']);
}

async function stopCron(cron) {
  rmSync(CRON_FILE, { force: true });
  await cron.stop('SIGTERM', 5_000);
}
