import { describeCron } from '@ects/domain';
import { Argument, type Command } from 'commander';

import { findPipeline } from '../api/lookup';
import type { NodeDto, PipelineDto, RunPageDto, ScheduleDto, TaskDto } from '../api/schema';
import { clientFor } from '../context';
import { messageOf } from '../errors';
import { formatInstant, out, parseOutputFormat, serialize, type OutputFormat } from '../output';
import { runRows } from './get';

/** How many upcoming fire times and recent runs `describe` shows. */
const SHOWN_FIRES = 5;
const SHOWN_RUNS = 5;

function cronInWords(cron: string): string {
  try {
    return describeCron(cron);
  } catch (error: unknown) {
    return `(cannot describe: ${messageOf(error)})`;
  }
}

function renderPipeline(
  pipeline: PipelineDto,
  schedule: ScheduleDto,
  runs: RunPageDto,
  taskNames: Map<string, string>,
  nodes: NodeDto[],
): string {
  const nodeById = new Map(nodes.map((node) => [node.id, node]));
  const taskName = (id: string | null): string => (id === null ? '-' : (taskNames.get(id) ?? id));
  const field = (label: string, value: string): string => `${`${label}:`.padEnd(16)}${value}`;
  const lines = [
    field('Name', pipeline.name),
    field('Id', pipeline.id),
    field('Description', pipeline.description || '-'),
    field('Schedule', `${pipeline.cron} (${cronInWords(pipeline.cron)}), time zone ${pipeline.timezone}`),
    field('Enabled', pipeline.enabled ? 'yes' : 'no'),
    field(
      'Mode',
      pipeline.mode === 'all' ? 'all: every bound node runs each fire' : 'one: one bound node runs each fire',
    ),
    field('Overlap', pipeline.overlap),
    field('Misfire', pipeline.misfire),
    field('Timeout', pipeline.timeoutSeconds === 0 ? 'none' : `${pipeline.timeoutSeconds} s`),
    field('On success', taskName(pipeline.onSuccessTaskId)),
    field('On failure', taskName(pipeline.onFailureTaskId)),
    field('Version', String(pipeline.version)),
    '',
    'Nodes:',
    ...(pipeline.nodeIds.length === 0 ? ['  (none bound by name)'] : []),
    ...pipeline.nodeIds.map((id) => {
      const node = nodeById.get(id);

      return node ? `  ${node.name} (${node.status})` : `  ${id}`;
    }),
    ...(pipeline.nodeSelector && Object.keys(pipeline.nodeSelector).length > 0
      ? [
          `  and every node labelled ${Object.entries(pipeline.nodeSelector)
            .map(([key, value]) => `${key}=${value}`)
            .join(', ')}`,
        ]
      : []),
    '',
    'Steps:',
    ...(pipeline.steps.length === 0 ? ['  (none; a run needs at least one step)'] : []),
    ...pipeline.steps.flatMap((step) => {
      const settings = [
        step.timeoutSeconds > 0 ? `timeout ${step.timeoutSeconds} s` : null,
        step.retries > 0 ? `${step.retries} retries every ${step.retryIntervalSeconds} s (${step.retryBackoff})` : null,
        step.onFailure === 'continue' ? 'continues after a failure' : null,
        step.runAsUser ? `runs as ${step.runAsUser}` : null,
        step.workingDirectory ? `in ${step.workingDirectory}` : null,
      ].filter((setting): setting is string => setting !== null);

      return [
        `  ${step.position + 1}. ${step.taskName} (${step.taskKind})${settings.length > 0 ? `: ${settings.join(', ')}` : ''}`,
        ...step.env.map((variable) => `       ${variable.name}=${variable.value}`),
      ];
    }),
    '',
    `Next fires (${schedule.timezone}):`,
    ...(pipeline.enabled ? [] : ['  (disabled: these fire only once it is enabled)']),
    ...schedule.fires.map((fire) => `  ${fire.local}${fire.offsetChanged ? '  (UTC offset changes)' : ''}`),
    '',
    `Recent runs (${runs.total} in all):`,
    runs.items.length === 0 ? '  (none yet)' : runRows(runs.items).trimEnd().replace(/^/gm, '  '),
    '',
    `Created ${formatInstant(pipeline.createdAt)}, updated ${formatInstant(pipeline.updatedAt)}`,
  ];

  return `${lines.join('\n')}\n`;
}

export function registerDescribe(program: Command): void {
  program
    .command('describe')
    .description('Show a pipeline in detail: schedule in words, next fire times, steps, nodes and recent runs')
    .addArgument(new Argument('<resource>', 'what to describe').choices(['pipeline']))
    .argument('<name>', 'pipeline name or id')
    .option('-o, --output <format>', 'table (readable text), json or yaml', parseOutputFormat, 'table')
    .addHelpText('after', '\nExample:\n  ectsctl describe pipeline nightly-backup')
    .action(async (_resource: string, name: string, options: { output: OutputFormat }, command: Command) => {
      const client = clientFor(command);
      const pipeline = await findPipeline(client, name);
      const [schedule, runs, tasks, nodes] = await Promise.all([
        client.get<ScheduleDto>(`/api/pipelines/${pipeline.id}/schedule?count=${SHOWN_FIRES}`),
        client.get<RunPageDto>(`/api/runs?pipelineId=${pipeline.id}&pageSize=${SHOWN_RUNS}&order=desc`),
        client.listAll<TaskDto>('/api/tasks'),
        client.listAll<NodeDto>('/api/nodes'),
      ]);
      if (options.output !== 'table') {
        out(serialize({ ...pipeline, schedule, recentRuns: runs.items }, options.output));

        return;
      }
      out(renderPipeline(pipeline, schedule, runs, new Map(tasks.map((task) => [task.id, task.name])), nodes));
    });
}
