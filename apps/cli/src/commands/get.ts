import { Argument, type Command } from 'commander';

import type { ApiClient } from '../api/client';
import { findNode, findPipeline } from '../api/lookup';
import type {
  HookTaskConfigDto,
  HttpTaskConfigDto,
  MailTaskConfigDto,
  NodeDto,
  PipelineDto,
  RunDto,
  RunPageDto,
  ShellTaskConfigDto,
  TaskDto,
} from '../api/schema';
import { clientFor, parseCount } from '../context';
import { CliError } from '../errors';
import {
  formatDuration,
  formatInstant,
  formatTable,
  out,
  parseOutputFormat,
  serialize,
  truncate,
  type OutputFormat,
} from '../output';

const RESOURCES = ['pipelines', 'tasks', 'nodes', 'runs'] as const;
type Resource = (typeof RESOURCES)[number];

interface GetOptions {
  output: OutputFormat;
  pipeline?: string;
  node?: string;
  status?: string;
  limit: number;
}

/** Accepts the singular too: `get pipeline nightly` reads as well as `get pipelines`. */
function parseResource(value: string): Resource {
  const resource = RESOURCES.find((candidate) => candidate === value || candidate === `${value}s`);
  if (!resource) {
    throw new CliError('USAGE', `Unknown resource "${value}"; use one of ${RESOURCES.join(', ')}`);
  }

  return resource;
}

function taskSummary(task: TaskDto): string {
  switch (task.kind) {
    case 'shell':
      return (task.config as ShellTaskConfigDto).command;
    case 'http': {
      const config = task.config as HttpTaskConfigDto;

      return `${config.method} ${config.url}`;
    }
    case 'mail':
      return `to ${(task.config as MailTaskConfigDto).to.join(', ')}`;
    case 'hook':
      return (task.config as HookTaskConfigDto).url;
  }
}

function pipelineRows(pipelines: PipelineDto[], nodeNames: Map<string, string>): string {
  return formatTable(
    ['name', 'cron', 'timezone', 'enabled', 'steps', 'nodes', 'next fire'],
    pipelines.map((pipeline) => [
      pipeline.name,
      pipeline.cron,
      pipeline.timezone,
      pipeline.enabled ? 'yes' : 'no',
      String(pipeline.steps.length),
      truncate(
        [
          ...pipeline.nodeIds.map((id) => nodeNames.get(id) ?? id),
          ...Object.entries(pipeline.nodeSelector ?? {}).map(([key, value]) => `${key}=${value}`),
        ].join(',') || '-',
        40,
      ),
      formatInstant(pipeline.nextFireAt),
    ]),
  );
}

function taskRows(tasks: TaskDto[]): string {
  return formatTable(
    ['name', 'kind', 'summary'],
    tasks.map((task) => [task.name, task.kind, truncate(taskSummary(task), 70)]),
  );
}

function nodeRows(nodes: NodeDto[]): string {
  return formatTable(
    ['name', 'status', 'host', 'version', 'running', 'last seen', 'labels'],
    nodes.map((node) => [
      node.name,
      node.status,
      node.host || '-',
      node.version || '-',
      String(node.runningRuns),
      formatInstant(node.lastSeenAt),
      Object.entries(node.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(',') || '-',
    ]),
  );
}

export function runRows(runs: RunDto[]): string {
  return formatTable(
    ['id', 'pipeline', 'node', 'status', 'trigger', 'started', 'duration'],
    runs.map((run) => [
      run.id,
      run.pipelineName,
      run.nodeName,
      run.status,
      run.trigger,
      formatInstant(run.startedAt),
      formatDuration(run.durationMs),
    ]),
  );
}

async function listRuns(client: ApiClient, options: GetOptions): Promise<RunDto[]> {
  const query = new URLSearchParams({ pageSize: String(Math.min(options.limit, 200)), order: 'desc' });
  if (options.pipeline) {
    query.set('pipelineId', (await findPipeline(client, options.pipeline)).id);
  }
  if (options.node) {
    query.set('nodeId', (await findNode(client, options.node)).id);
  }
  if (options.status) {
    query.set('status', options.status);
  }

  return (await client.get<RunPageDto>(`/api/runs?${query.toString()}`)).items;
}

async function getResource(client: ApiClient, resource: Resource, names: string[], options: GetOptions): Promise<void> {
  const pick = <T extends { name: string }>(items: T[]): T[] => {
    if (names.length === 0) {
      return items;
    }
    const missing = names.filter((name) => !items.some((item) => item.name === name));
    if (missing.length > 0) {
      throw new CliError(
        'NOT_FOUND',
        `No ${resource.slice(0, -1)} is named ${missing.map((name) => `"${name}"`).join(', ')}`,
      );
    }

    return items.filter((item) => names.includes(item.name));
  };
  const print = (data: unknown, table: () => string): void => {
    out(options.output === 'table' ? table() : serialize(data, options.output));
  };

  switch (resource) {
    case 'pipelines': {
      const pipelines = pick(await client.listAll<PipelineDto>('/api/pipelines'));
      const nodes = options.output === 'table' ? await client.listAll<NodeDto>('/api/nodes') : [];
      print(pipelines, () => pipelineRows(pipelines, new Map(nodes.map((node) => [node.id, node.name]))));

      return;
    }
    case 'tasks': {
      const tasks = pick(await client.listAll<TaskDto>('/api/tasks'));
      print(tasks, () => taskRows(tasks));

      return;
    }
    case 'nodes': {
      const nodes = pick(await client.listAll<NodeDto>('/api/nodes'));
      print(nodes, () => nodeRows(nodes));

      return;
    }
    case 'runs': {
      if (names.length > 0) {
        throw new CliError('USAGE', 'get runs takes no names; filter with --pipeline, --node and --status');
      }
      const runs = await listRuns(client, options);
      print(runs, () => runRows(runs));

      return;
    }
  }
}

export function registerGet(program: Command): void {
  program
    .command('get')
    .description('List pipelines, tasks, nodes or runs')
    .addArgument(new Argument('<resource>', 'pipelines, tasks, nodes or runs').argParser(parseResource))
    .argument('[names...]', 'only these pipelines, tasks or nodes, by name')
    .option('-o, --output <format>', 'table, json or yaml', parseOutputFormat, 'table')
    .option('--pipeline <name>', 'runs: only runs of this pipeline')
    .option('--node <name>', 'runs: only runs on this node')
    .option(
      '--status <status>',
      'runs: only runs with this status (running, succeeded, failed, timed_out, killed, skipped, lost)',
    )
    .option('--limit <count>', 'runs: how many of the newest runs to list, at most 200', parseCount('--limit'), 20)
    .addHelpText(
      'after',
      '\nExamples:\n  ectsctl get pipelines\n  ectsctl get runs --pipeline nightly-backup --status failed -o json',
    )
    .action(async (resource: Resource, names: string[], options: GetOptions, command: Command) => {
      await getResource(clientFor(command), resource, names, options);
    });
}
