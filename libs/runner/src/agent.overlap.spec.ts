import type { OverlapPolicy } from '@ects/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { AgentWorld } from '../test/support/agent-harness';
import { finishedRuns, pipeline, type ReportedRun } from '../test/support/fixtures';
import type { TestApi } from '../test/support/test-api';

let world: AgentWorld;

beforeEach(() => {
  world = new AgentWorld();
});

afterEach(async () => {
  await world.cleanUp();
});

interface Span {
  status: string;
  summary: string | null;
  scheduledAt: number;
  start: number;
  end: number;
}

function spans(runs: ReportedRun[]): Span[] {
  return runs
    .map((run) => ({
      status: run.finished?.status ?? '',
      summary: run.finished?.exitSummary ?? null,
      scheduledAt: Date.parse(run.started?.scheduledAt ?? ''),
      start: Date.parse(run.started?.startedAt ?? ''),
      end: Date.parse(run.finished?.finishedAt ?? ''),
    }))
    .sort((a, b) => a.start - b.start);
}

/** Tells whether two runs that executed were running at the same time. */
function overlapping(executed: Span[]): boolean {
  return executed.some((span, index) => index > 0 && span.start < executed[index - 1].end);
}

/** Fires an every-second pipeline whose step outlasts the interval, until `count` runs finished. */
async function fireSlowPipeline(
  overlap: OverlapPolicy,
  command: string,
  count: number,
): Promise<{ api: TestApi; runs: Span[] }> {
  const api = await world.startApi();
  const { nodeId } = await world.startAgent(api.url);
  const slow = pipeline([nodeId], { overlap }, [command]);

  await world.assign(nodeId, slow);
  await api.waitFor((events) => finishedRuns(events, slow.id).length >= count, 15_000, `${count} finished runs`);
  await world.assign(nodeId, { ...slow, enabled: false });

  return { api, runs: spans(finishedRuns(api.events(nodeId), slow.id)) };
}

describe('overlap policy', () => {
  it('skip records fires during a run as skipped', async () => {
    const { runs } = await fireSlowPipeline('skip', 'sleep 2.2', 3);

    const executed = runs.filter((run) => run.status !== 'skipped');
    const skipped = runs.filter((run) => run.status === 'skipped');
    expect(skipped.length).toBeGreaterThanOrEqual(1);
    expect(skipped[0].summary).toMatch(/^skipped: run \S+ was still running \(overlap policy skip\)$/);
    expect(overlapping(executed)).toBe(false);
  });

  it('queue runs fires one after another', async () => {
    const { runs } = await fireSlowPipeline('queue', 'sleep 1.5', 3);

    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(overlapping(runs)).toBe(false);
    // A queued run keeps its nominal fire time but starts once the run before it ended.
    expect(runs[2].start - runs[2].scheduledAt).toBeGreaterThan(500);
  });

  it('replace kills the active run', async () => {
    const { runs } = await fireSlowPipeline('replace', 'sleep 10', 2);

    const killed = runs.filter((run) => run.status === 'killed');
    expect(killed.length).toBeGreaterThanOrEqual(1);
    expect(killed[0].summary).toMatch(
      /^killed: replaced by run \S+ \(overlap policy replace\) during step 1 "step-0"$/,
    );
    expect(overlapping(runs.filter((run) => run.status !== 'skipped'))).toBe(false);
  });

  it('allow runs fires concurrently', async () => {
    const { runs } = await fireSlowPipeline('allow', 'sleep 2.2', 3);

    expect(runs.every((run) => run.status === 'succeeded')).toBe(true);
    expect(overlapping(runs)).toBe(true);
  });
});
