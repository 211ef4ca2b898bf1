// Scenario 6: one step writing a large output at full speed. Measures the time until the run is
// stored, the peak memory of the agent and the API meanwhile, and how late a live follower on the
// `/live` Socket.IO namespace receives the output.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { LIVE_EVENTS, LIVE_NAMESPACE } from '@ects/domain';
import { io } from 'socket.io-client';

import { Cluster, waitFor } from '../lib/cluster.mjs';
import { UsageSampler } from '../lib/processes.mjs';
import { createStampDirectory } from '../lib/stamps.mjs';
import { megabytes, summarize } from '../lib/stats.mjs';

/**
 * Writes the given number of bytes to stdout as fast as the pipe takes them, in blocks of about
 * 64 KB that each start with a line "T <epoch ms>", so a reader can tell how old each block is.
 */
const WRITER_SCRIPT = `
const total = Number(process.argv[2]);
const lines = 'x'.repeat(99).concat('\\n').repeat(640);
let written = 0;
function writeMore() {
  while (written < total) {
    const block = 'T ' + Date.now() + '\\n' + lines;
    written += block.length;
    if (!process.stdout.write(block)) {
      process.stdout.once('drain', writeMore);
      return;
    }
  }
}
writeMore();
`;

export default {
  name: 'output',
  title: 'Output',
  options: {
    'output-mb': { default: 200, quick: 20, description: 'megabytes (10^6 bytes) of output the step writes' },
    'store-timeout': { default: 60, quick: 30, description: 'seconds to wait for the run to be stored' },
  },
  explain: [
    'The step is a Node script that writes the output to stdout as fast as the pipe takes it, in blocks',
    'of about 64 KB that each start with the time they were written. Time until stored is from the',
    'run-now request to the API reporting the run finished. With default settings',
    'the agent forwards the first 8 MiB of a step and the API stores the first 1 MiB',
    '(`ECTS_MAX_STEP_OUTPUT_BYTES`); the rest is counted and marked as dropped, and a live follower sees',
    'the stored part. Follower delay is the time a block arrives at a Socket.IO client in `run:<id>` minus',
    'the time in its first line.',
  ],

  async run({ services, options, log, onCleanup }) {
    const bytes = options['output-mb'] * 1_000_000;
    const work = createStampDirectory('ects-bench-output-');
    onCleanup(() => rmSync(work.directory, { recursive: true, force: true }));
    const writer = join(work.directory, 'write-output.cjs');
    writeFileSync(writer, WRITER_SCRIPT);

    const cluster = await Cluster.start(services, { name: 'output' });
    onCleanup(() => cluster.stop());
    const agent = cluster.agents[0];
    const task = await cluster.createShellTask('large-output', `${process.execPath} ${writer} ${bytes}`);
    const pipeline = await cluster.createPipeline({
      name: 'large-output',
      cron: '0 0 3 1 1 *',
      nodeIds: [agent.nodeId],
      steps: [{ taskId: task.id }],
    });

    const follower = io(`${cluster.api.url}${LIVE_NAMESPACE}`, {
      auth: { token: cluster.api.token },
      transports: ['websocket'],
    });
    onCleanup(() => follower.close());
    await new Promise((resolve, reject) => {
      follower.once('connect', resolve);
      follower.once('connect_error', reject);
    });
    const delays = [];
    let followedBytes = 0;
    let pending = '';
    follower.on(LIVE_EVENTS.output, (message) => {
      const receivedAt = Date.now();
      for (const chunk of message.chunks) {
        followedBytes += Buffer.byteLength(chunk.data);
        // A block's time line may be split over two chunks, so lines are read from the joined text.
        const lines = (pending + chunk.data).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          if (line.startsWith('T ')) {
            delays.push(receivedAt - Number(line.slice(2)));
          }
        }
      }
    });

    const samplers = {
      agent: new UsageSampler(agent.process.pid, 100),
      api: new UsageSampler(cluster.apiProcess.pid, 100),
    };
    log(`running a step that writes ${options['output-mb']} MB`);
    const requestedAt = Date.now();
    const started = await cluster.api.expect(201, 'POST', `/api/pipelines/${pipeline.id}/runs`, {});
    const runId = started.runs[0].runId;
    const joined = await follower.emitWithAck(LIVE_EVENTS.join, { room: `run:${runId}` });
    if (!joined.ok) {
      throw new Error(`Joining run:${runId} on /live failed: ${JSON.stringify(joined)}`);
    }

    let disconnects = 0;
    agent.process.onLine((line) => {
      if (line.includes('Disconnected from the API')) {
        disconnects++;
      }
    });
    const run = await waitFor(
      `run ${runId} to be stored as finished`,
      async () => (await cluster.api.request('GET', `/api/runs/${runId}`)).body,
      (found) => found?.status !== undefined && found.status !== 'running',
      options['store-timeout'] * 1000,
      100,
    ).catch(async (error) => {
      log(`${error.message.slice(0, 200)}`);
      return (await cluster.api.request('GET', `/api/runs/${runId}`)).body;
    });
    const storedAt = Date.now();
    const usage = { agent: samplers.agent.stop(), api: samplers.api.stop() };
    const step = run.steps[0];
    const storedRows = await cluster.query(
      'SELECT COALESCE(SUM(LENGTH(chunk)), 0) AS bytes FROM step_logs WHERE step_run_id = ?',
      [step.id],
    );
    const delayStats = summarize(delays);
    const stored = run.status !== 'running';
    const storedSeconds = (storedAt - requestedAt) / 1000;
    const stepSeconds = stored ? (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000 : null;
    const storedValue = stored
      ? `${storedSeconds.toFixed(1)} s (run ${run.status}; the step itself ran ${stepSeconds} s)`
      : `not stored within ${options['store-timeout']} s: the run is still running, and the agent's ` +
        `connection to the API closed ${disconnects} times while it sent the output`;

    return {
      parameters: { outputBytes: bytes },
      figures: {
        runStatus: run.status,
        secondsUntilStored: stored ? Number(storedSeconds.toFixed(2)) : null,
        stepSeconds,
        agentDisconnects: disconnects,
        outputBytesCounted: step.outputBytes,
        droppedBytes: step.droppedBytes,
        storedBytes: Number(storedRows[0].bytes),
        agentRssMaxMB: megabytes(usage.agent.rssMaxBytes),
        apiRssMaxMB: megabytes(usage.api.rssMaxBytes),
        agentCpuSeconds: usage.agent.cpuSeconds,
        followerDelayMs: delayStats,
        followerBytes: followedBytes,
      },
      rows: [
        {
          figure: `${options['output-mb']} MB from one step: time until stored`,
          value: storedValue,
          target: 'stored',
          met: stored,
        },
        {
          figure: 'agent max RSS while it ran',
          value: `${megabytes(usage.agent.rssMaxBytes)} MB`,
          target: '< 200 MB',
          met: usage.agent.rssMaxBytes < 200 * 1_000_000,
        },
        {
          figure: 'API max RSS while it ran',
          value: `${megabytes(usage.api.rssMaxBytes)} MB`,
          target: '',
          met: null,
        },
        {
          figure: 'live follower delay p50 / p99 / max',
          value: `${delayStats.p50} / ${delayStats.p99} / ${delayStats.max} ms over ${megabytes(followedBytes)} MB followed`,
          target: '',
          met: null,
        },
        {
          figure: 'bytes counted / stored / dropped',
          value: `${step.outputBytes} / ${Number(storedRows[0].bytes)} / ${step.droppedBytes}`,
          target: '',
          met: null,
        },
      ],
      notes: stored
        ? []
        : [
            'The run was not stored because the agent could not deliver its output events: the API closed ' +
              'the Socket.IO connection on each batch, and the agent sent the same batch again after each ' +
              "reconnect. Steps with up to about 1 MB of output are stored; the likely cause is Socket.IO's " +
              "default message limit of 1 MB on the API, which the /agents gateway's larger maxHttpBufferSize " +
              'does not seem to override.',
          ],
    };
  },
};
