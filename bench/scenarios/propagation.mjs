// Scenario 4: time from a pipeline update accepted by the API to the agent acting on it. Each
// update changes the pipeline's cron; the agent acts when its scheduler moves the pipeline to the
// new schedule, which it logs (at debug level) as "Pipeline <id> rescheduled to cron "<cron>"".
import { EtcdKeys } from '@ects/etcd';
import { Etcd3 } from 'etcd3';

import { Cluster } from '../lib/cluster.mjs';
import { summarize } from '../lib/stats.mjs';

/** Time an update gets to reach the agent before it counts as not seen. */
const UPDATE_TIMEOUT_MS = 10_000;

export default {
  name: 'propagation',
  title: 'Propagation',
  options: {
    updates: { default: 500, quick: 30, description: 'pipeline updates, sent one after another' },
  },
  explain: [
    "Each update is a PATCH of the pipeline's cron to a new expression that never fires during the run.",
    'The time is measured from the PATCH response (the update is stored and accepted) to the moment the',
    "agent's log line saying it rescheduled the pipeline to that cron reaches the benchmark through the",
    "agent's stdout pipe. The time to the assignment key change seen by an etcd watch is shown too. Both",
    'can be negative when the API publishes to etcd before its response arrives.',
  ],

  async run({ services, options, log, onCleanup }) {
    const cluster = await Cluster.start(services, { name: 'propagation', agentEnv: { ECTS_LOG_LEVEL: 'debug' } });
    onCleanup(() => cluster.stop());
    const agent = cluster.agents[0];

    const task = await cluster.createShellTask('propagated', 'true');
    const pipeline = await cluster.createPipeline({
      name: 'propagated',
      cron: cronFor(0),
      nodeIds: [agent.nodeId],
      steps: [{ taskId: task.id }],
    });

    const seenByAgent = new Map();
    const stopListening = agent.process.onLine((line, receivedAt) => {
      const match = /rescheduled to cron "([^"]+)"/.exec(messageOf(line));
      if (match !== null && line.includes(pipeline.id) && !seenByAgent.has(match[1])) {
        seenByAgent.set(match[1], receivedAt);
      }
    });
    onCleanup(stopListening);

    const seenInEtcd = new Map();
    const etcd = new Etcd3({ hosts: cluster.etcdEndpoint });
    onCleanup(() => etcd.close());
    const key = new EtcdKeys(cluster.namespace).assignment(agent.nodeId, pipeline.id);
    const watcher = await etcd.watch().key(key).create();
    onCleanup(() => watcher.cancel());
    watcher.on('put', (entry) => {
      const receivedAt = Date.now();
      const cron = JSON.parse(entry.value.toString()).cron;
      if (!seenInEtcd.has(cron)) {
        seenInEtcd.set(cron, receivedAt);
      }
    });

    log(`sending ${options.updates} updates`);
    const samples = [];
    for (let index = 1; index <= options.updates; index++) {
      const cron = cronFor(index);
      const sentAt = Date.now();
      await cluster.api.expect(200, 'PATCH', `/api/pipelines/${pipeline.id}`, { cron });
      const acceptedAt = Date.now();
      while (!seenByAgent.has(cron) && Date.now() - acceptedAt < UPDATE_TIMEOUT_MS) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      samples.push({ cron, sentAt, acceptedAt, agentAt: seenByAgent.get(cron), etcdAt: seenInEtcd.get(cron) });
    }

    const seen = samples.filter((sample) => sample.agentAt !== undefined);
    const toAgent = summarize(seen.map((sample) => sample.agentAt - sample.acceptedAt));
    const toAgentFromRequest = summarize(seen.map((sample) => sample.agentAt - sample.sentAt));
    const toEtcd = summarize(
      samples.filter((sample) => sample.etcdAt !== undefined).map((sample) => sample.etcdAt - sample.acceptedAt),
    );
    const requestMs = summarize(samples.map((sample) => sample.acceptedAt - sample.sentAt));
    const missing = samples.length - seen.length;

    return {
      parameters: { updates: options.updates },
      figures: {
        fromResponseToAgentMs: toAgent,
        fromRequestToAgentMs: toAgentFromRequest,
        fromResponseToEtcdMs: toEtcd,
        patchRequestMs: requestMs,
        updatesNotSeenByAgent: missing,
      },
      rows: [
        {
          figure: `${options.updates} updates, PATCH response → agent rescheduled: p50 / p99 / max`,
          value: `${toAgent.p50} / ${toAgent.p99} / ${toAgent.max} ms`,
          target: 'p99 < 200 ms',
          met: toAgent.p99 !== null && toAgent.p99 < 200 && missing === 0,
        },
        {
          figure: 'PATCH request sent → agent rescheduled: p50 / p99',
          value: `${toAgentFromRequest.p50} / ${toAgentFromRequest.p99} ms`,
          target: '',
          met: null,
        },
        {
          figure: 'PATCH response → assignment key changed in etcd: p50 / p99',
          value: `${toEtcd.p50} / ${toEtcd.p99} ms`,
          target: '',
          met: null,
        },
        {
          figure: 'updates the agent never acted on',
          value: String(missing),
          target: '0',
          met: missing === 0,
        },
      ],
      notes: [],
    };
  },
};

/** Returns a cron expression unique to the update number that fires only on 1 January at 03:xx, so never during a run. */
function cronFor(index) {
  return `${index % 60} ${Math.floor(index / 60) % 60} 3 1 1 *`;
}

/** Returns the message of a JSON log line, or the line itself when it is not JSON. */
function messageOf(line) {
  if (!line.startsWith('{')) {
    return line;
  }
  try {
    const parsed = JSON.parse(line);

    return typeof parsed.msg === 'string' ? parsed.msg : line;
  } catch {
    // A line that only looks like JSON is matched as text.
    return line;
  }
}
