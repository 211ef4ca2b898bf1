// Scenario 5: failover in mode `one`. A pipeline bound to three agents fires every second, and the
// agent running the latest fire is killed with SIGKILL while its step runs. The benchmark measures
// how long until a fire runs on another agent, then restarts the killed agent for the next repetition.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { Cluster, waitFor } from '../lib/cluster.mjs';
import { createStampDirectory, readStamps } from '../lib/stamps.mjs';
import { summarize } from '../lib/stats.mjs';

const AGENTS = 3;
/** How long each step runs after stamping, so the kill lands while the step is running. */
const STEP_SECONDS = 0.5;

export default {
  name: 'failover',
  title: 'Failover',
  options: {
    failovers: { default: 20, quick: 3, description: 'times the running agent is killed' },
    'lease-ttl': { default: 10, quick: 10, description: 'ECTS_LEASE_TTL_SECONDS of the agents' },
  },
  explain: [
    `A mode \`one\` pipeline bound to ${AGENTS} agents fires every second; its step stamps its start time and the`,
    `name of its node, then sleeps ${STEP_SECONDS} s. As soon as a new stamp appears, the agent that wrote it is`,
    'killed with SIGKILL. Failover time is from the kill to the start stamp of the next fire on another',
    'agent. Doubles are fire times stamped more than once and misses are fire times never stamped, over',
    'every second from the first kill to the end, restarts included.',
  ],

  async run({ services, options, log, onCleanup }) {
    const stamps = createStampDirectory('ects-bench-failover-');
    onCleanup(() => rmSync(stamps.directory, { recursive: true, force: true }));
    const cluster = await Cluster.start(services, {
      name: 'failover',
      agents: AGENTS,
      agentEnv: { ECTS_LEASE_TTL_SECONDS: String(options['lease-ttl']) },
    });
    onCleanup(() => cluster.stop());

    const file = join(stamps.directory, 'failover.log');
    const task = await cluster.createShellTask(
      'stamp-and-sleep',
      `/bin/sh ${stamps.script} "$ECTS_NODE_NAME" "$ECTS_SCHEDULED_AT" ${file}; sleep ${STEP_SECONDS}`,
    );
    const pipeline = await cluster.createPipeline({
      name: 'failover',
      cron: '* * * * * *',
      mode: 'one',
      nodeIds: cluster.agents.map((agent) => agent.nodeId),
      steps: [{ taskId: task.id }],
    });
    await waitFor(
      'the first fire',
      async () => readStamps(file).length,
      (count) => count > 0,
      30_000,
      100,
    );

    const failovers = [];
    let firstKillAt;
    for (let repetition = 1; repetition <= options.failovers; repetition++) {
      const latest = await nextStamp(file, Date.now());
      const victim = cluster.agents.find((agent) => agent.name === latest.label);
      victim.process.child.kill('SIGKILL');
      const killedAt = Date.now();
      firstKillAt ??= killedAt;

      const next = await waitFor(
        `a fire on another agent after killing ${victim.name}`,
        async () => readStamps(file).find((stamp) => stamp.label !== victim.name && stamp.nominalMs > latest.nominalMs),
        (stamp) => stamp !== undefined,
        (options['lease-ttl'] + 30) * 1000,
        20,
      );
      failovers.push({ victim: victim.name, killedAt, nextOn: next.label, failoverMs: next.startedMs - killedAt });
      log(
        `failover ${repetition}: killed ${victim.name}, next fire on ${next.label} ${Math.round(next.startedMs - killedAt)} ms later`,
      );

      await victim.process.exited;
      await cluster.restartAgent(victim);
      await waitForRegistration(victim);
    }

    await sleep(3_000);
    // Fires up to two seconds before the disable have certainly had their chance to run.
    const windowEnd = Math.floor((Date.now() - 2_000) / 1000) * 1000;
    await cluster.api.expect(200, 'POST', `/api/pipelines/${pipeline.id}/disable`);

    const windowStart = Math.floor(firstKillAt / 1000) * 1000;
    const window = readStamps(file).filter((stamp) => stamp.nominalMs >= windowStart && stamp.nominalMs < windowEnd);
    const perFire = new Map();
    for (const stamp of window) {
      perFire.set(stamp.nominalMs, (perFire.get(stamp.nominalMs) ?? 0) + 1);
    }
    const expectedFires = (windowEnd - windowStart) / 1000;
    const doubles = [...perFire.values()].filter((count) => count > 1).length;
    const misses = expectedFires - perFire.size;
    const duplicateRuns = await cluster.query(
      'SELECT COUNT(*) AS count FROM (SELECT scheduled_at FROM runs WHERE pipeline_id = ? GROUP BY scheduled_at HAVING COUNT(*) > 1) AS doubled',
      [pipeline.id],
    );
    const failoverStats = summarize(failovers.map((failover) => failover.failoverMs));
    const limitMs = (options['lease-ttl'] + 1) * 1000;

    return {
      parameters: { failovers: options.failovers, leaseTtlSeconds: options['lease-ttl'], agents: AGENTS },
      figures: {
        failoverMs: failoverStats,
        failovers,
        expectedFires,
        doubles,
        misses,
        doubledRunsInDatabase: Number(duplicateRuns[0].count),
      },
      rows: [
        {
          figure: `${options.failovers} kills: time to the next fire on another agent p50 / max`,
          value: `${failoverStats.p50} / ${failoverStats.max} ms`,
          target: `max < lease TTL + 1 s = ${limitMs} ms`,
          met: failoverStats.max !== null && failoverStats.max < limitMs,
        },
        {
          figure: `doubled / missed fires over ${expectedFires} fires`,
          value: `${doubles} / ${misses}`,
          target: '0 doubles',
          met: doubles === 0,
        },
      ],
      notes: [],
    };
  },
};

/** Waits for the first stamp whose process started after `after`, and returns it. */
async function nextStamp(file, after) {
  return waitFor(
    'the next fire',
    async () => readStamps(file).find((stamp) => stamp.startedMs > after),
    (stamp) => stamp !== undefined,
    30_000,
    10,
  );
}

/** Waits until a restarted agent reports on its metrics endpoint that it is registered and has its assignment. */
async function waitForRegistration(agent) {
  await waitFor(
    `${agent.name} to register again`,
    async () => {
      const response = await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`);
      const text = await response.text();

      return /^ects_agent_registered 1$/m.test(text) && /^ects_agent_assignments [1-9]/m.test(text);
    },
    (ready) => ready,
    60_000,
    100,
  ).catch((error) => {
    throw new Error(`${error.message}\n${agent.name} output:\n${agent.process.logs()}`);
  });
}
