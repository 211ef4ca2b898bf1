import { describe, expect, it } from 'vitest';

import type { AgentSettings } from '../config/settings';
import { AgentMetrics } from './agent-metrics';

function metricsWith(pipelineLabels: boolean): AgentMetrics {
  return new AgentMetrics({ metricsPipelineLabels: pipelineLabels } as AgentSettings);
}

describe('AgentMetrics', () => {
  it('labels runs by status only', async () => {
    const metrics = metricsWith(false);

    metrics.runner.runFinished({ pipelineId: 'pipeline-1', status: 'failed', durationMs: 1_500 });
    const text = await metrics.scrape();

    expect(text).toContain('ects_agent_runs_total{status="failed"} 1');
    expect(text).toContain('ects_agent_runs_total{status="succeeded"} 0');
    expect(text).toContain('ects_agent_run_duration_seconds_sum{status="failed"} 1.5');
    expect(text).not.toContain('pipeline-1');
  });

  it('adds pipeline labels when enabled', async () => {
    const metrics = metricsWith(true);

    metrics.runner.runFinished({ pipelineId: 'pipeline-1', status: 'succeeded', durationMs: 10 });

    expect(await metrics.scrape()).toContain('ects_agent_runs_total{status="succeeded",pipeline="pipeline-1"} 1');
  });

  it('reads status gauges on scrape', async () => {
    const metrics = metricsWith(false);
    expect(await metrics.scrape()).toMatch(/^ects_agent_spool_events 0$/m);

    metrics.attach(() => ({
      state: 'running',
      registered: true,
      apiConnected: false,
      assignments: 3,
      activeRuns: 1,
      spool: { events: 42, oldestEventAgeMs: 2_500 },
    }));
    const text = await metrics.scrape();

    expect(text).toMatch(/^ects_agent_spool_events 42$/m);
    expect(text).toMatch(/^ects_agent_spool_oldest_event_age_seconds 2.5$/m);
    expect(text).toMatch(/^ects_agent_assignments 3$/m);
    expect(text).toMatch(/^ects_agent_registered 1$/m);
    expect(text).toMatch(/^ects_agent_api_connected 0$/m);
  });

  it('counts fire lateness in seconds', async () => {
    const metrics = metricsWith(false);

    metrics.runner.fireLateness(30);
    metrics.runner.fireLateness(2_000);
    const text = await metrics.scrape();

    expect(text).toContain('ects_agent_fire_lateness_seconds_bucket{le="0.05"} 1');
    expect(text).toContain('ects_agent_fire_lateness_seconds_bucket{le="2.5"} 2');
    expect(text).toContain('ects_agent_fire_lateness_seconds_count 2');
  });
});
