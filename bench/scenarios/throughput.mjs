// Scenario 3: the most runs per second the system records end to end (fire, run a trivial shell
// step, store the run in MariaDB) without losing one, with one agent and with three.
import { setTimeout as sleep } from 'node:timers/promises';

import { Cluster } from '../lib/cluster.mjs';
import { UsageSampler } from '../lib/processes.mjs';
import { summarize } from '../lib/stats.mjs';

/** Time after the last fire of a level within which all its runs must be stored for the rate to count as sustained. */
const SUSTAINED_DRAIN_MS = 5_000;
/** Time after the last fire of a level that the benchmark waits for its runs to be stored. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Time new pipelines get to reach the agents and fire once before a level is measured. */
const WARMUP_MS = 3_000;

export default {
  name: 'throughput',
  title: 'Throughput',
  options: {
    rates: {
      type: 'list',
      default: '50,100,150,200,300',
      quick: '10,20',
      description: 'runs per second to try, ascending',
    },
    'rate-seconds': { default: 10, quick: 5, description: 'seconds each rate is held and measured' },
    'agent-counts': { type: 'list', default: '1,3', quick: '1', description: 'numbers of agents to measure with' },
    'max-concurrent-runs': {
      default: 64,
      quick: 64,
      description: 'ECTS_MAX_CONCURRENT_RUNS of each agent (the agent default is 16)',
    },
  },
  explain: [
    'Each rate R is R pipelines that fire every second, split evenly over the agents, running `true`.',
    'A rate is sustained when every fire of its window is stored in MariaDB as a succeeded run within',
    `${SUSTAINED_DRAIN_MS / 1000} s after the window, with none skipped, failed or lost. Rates are tried in`,
    'ascending order and the first one that is not sustained ends the series, so the figure is the highest',
    'rate tried that held, not an exact maximum. All agents, the API and MariaDB share the same cores.',
  ],

  async run({ services, options, log, onCleanup }) {
    const figures = {};
    const rows = [];

    for (const agentCount of options['agent-counts']) {
      const series = await measureSeries(services, agentCount, options, log, onCleanup);
      figures[`agents${agentCount}`] = series;
      const best = series.maxSustainedRunsPerSecond;
      rows.push({
        figure: `${agentCount} agent${agentCount === 1 ? '' : 's'}: highest sustained rate (rates tried: ${series.levels.map((level) => level.rate).join(', ')})`,
        value: best === null ? 'none of the rates held' : `${best} runs/s`,
        target: agentCount === 1 ? '≥ 200 runs/s' : '',
        met: agentCount === 1 ? best !== null && best >= 200 : null,
      });
      const failed = series.levels.find((level) => !level.sustained);
      if (failed !== undefined) {
        rows.push({
          figure: `${agentCount} agent${agentCount === 1 ? '' : 's'}: first rate that did not hold`,
          value:
            `${failed.rate} runs/s: ${failed.succeeded} of ${failed.expected} stored as succeeded ` +
            `${(failed.drainMs / 1000).toFixed(1)} s after the window, start lateness p99 ${failed.startLatenessMs.p99} ms`,
          target: '',
          met: null,
        });
      }
    }

    return {
      parameters: {
        rates: options.rates,
        rateSeconds: options['rate-seconds'],
        agentCounts: options['agent-counts'],
        maxConcurrentRuns: options['max-concurrent-runs'],
      },
      figures,
      rows,
      notes: [
        `Agents ran with ECTS_MAX_CONCURRENT_RUNS=${options['max-concurrent-runs']}; with the default of 16, runs ` +
          'that wait longer than a second for a slot make the next fire of their pipeline a skipped run.',
      ],
    };
  },
};

async function measureSeries(services, agentCount, options, log, onCleanup) {
  const cluster = await Cluster.start(services, {
    name: `throughput${agentCount}`,
    agents: agentCount,
    agentEnv: { ECTS_MAX_CONCURRENT_RUNS: String(options['max-concurrent-runs']) },
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await cluster.stop();
    }
  };
  onCleanup(stop);

  const task = await cluster.createShellTask('trivial', 'true');
  const levels = [];
  let pipelineCount = 0;

  try {
    for (const rate of options.rates) {
      log(`${agentCount} agent(s): raising the rate to ${rate} runs/s`);
      for (; pipelineCount < rate; pipelineCount++) {
        // One request at a time, because concurrent creates using one task can deadlock in MariaDB.
        const agent = cluster.agents[pipelineCount % agentCount];
        await cluster.createPipeline({
          name: `rate-${pipelineCount + 1}`,
          cron: '* * * * * *',
          nodeIds: [agent.nodeId],
          steps: [{ taskId: task.id }],
        });
      }

      const level = await measureLevel(cluster, rate, options['rate-seconds']);
      levels.push(level);
      log(
        `${agentCount} agent(s), ${rate} runs/s: ${level.succeeded} of ${level.expected} succeeded, ` +
          `drained in ${level.drainMs} ms, ${level.sustained ? 'sustained' : 'not sustained'}`,
      );
      if (!level.sustained) {
        break;
      }
    }
  } finally {
    await stop();
  }

  const sustained = levels.filter((level) => level.sustained);

  return { levels, maxSustainedRunsPerSecond: sustained.length === 0 ? null : sustained.at(-1).rate };
}

/** Measures one window of fires at the current rate and waits until its runs are stored or the drain times out. */
async function measureLevel(cluster, rate, seconds) {
  const windowStart = Math.ceil((Date.now() + WARMUP_MS) / 1000) * 1000;
  const windowEnd = windowStart + seconds * 1000;
  const expected = rate * seconds;
  await sleep(windowStart - Date.now());
  const samplers = [cluster.apiProcess, ...cluster.agents.map((agent) => agent.process)].map(
    (child) => new UsageSampler(child.pid, 500),
  );
  await sleep(windowEnd - Date.now());
  const usage = samplers.map((sampler) => sampler.stop());

  const countByStatus = async () => {
    const rows = await cluster.query(
      'SELECT status, COUNT(*) AS count FROM runs WHERE scheduled_at >= ? AND scheduled_at < ? GROUP BY status',
      [new Date(windowStart), new Date(windowEnd)],
    );

    return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
  };
  const settled = (counts) =>
    Object.values(counts).reduce((sum, count) => sum + count, 0) >= expected && counts.running === undefined;
  let byStatus = await countByStatus();
  while (!settled(byStatus) && Date.now() - windowEnd < DRAIN_TIMEOUT_MS) {
    await sleep(250);
    byStatus = await countByStatus();
  }
  const drainMs = Date.now() - windowEnd;

  const lateness = await cluster.query(
    'SELECT TIMESTAMPDIFF(MICROSECOND, scheduled_at, started_at) / 1000 AS ms FROM runs WHERE scheduled_at >= ? AND scheduled_at < ?',
    [new Date(windowStart), new Date(windowEnd)],
  );
  const succeeded = byStatus.succeeded ?? 0;
  const others = Object.entries(byStatus).filter(([status]) => status !== 'succeeded');

  return {
    rate,
    windowStart: new Date(windowStart).toISOString(),
    expected,
    succeeded,
    byStatus,
    sustained: succeeded === expected && others.length === 0 && drainMs <= SUSTAINED_DRAIN_MS,
    achievedRunsPerSecond: Number((succeeded / seconds).toFixed(1)),
    drainMs,
    startLatenessMs: summarize(lateness.map((row) => Number(row.ms))),
    cpuPercentOfOneCore: {
      api: Number(usage[0].cpuPercentOfOneCore.toFixed(1)),
      agents: usage.slice(1).map((agentUsage) => Number(agentUsage.cpuPercentOfOneCore.toFixed(1))),
    },
  };
}
