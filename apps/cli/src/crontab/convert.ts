import { CronError, isSecretName, isValidTimezone, parseCron } from '@ects/domain';

import { messageOf } from '../errors';
import type { Definitions, PipelineDefinition, StepDefinition, TaskDefinition } from '../definitions/model';
import { DEFAULT_CRON_SHELL, splitPercent, toShellTaskCommand } from './command';
import type { CrontabJob, CrontabProblem, ParsedCrontab } from './parse';

export interface ConvertOptions {
  /** Name of the node the pipelines are bound to. */
  node: string;
  /** Start of every task and pipeline name. */
  prefix: string;
  /** Zone of the schedules when the crontab sets neither CRON_TZ nor TZ. */
  timezone: string;
  /** Run-as user of a user crontab's jobs; a system crontab names the user on each line. */
  runAsUser: string | null;
  /** The crontab's path, recorded in each pipeline's description. */
  source: string;
}

/** One job line and what it becomes. */
export interface ImportedJob {
  line: number;
  task: TaskDefinition;
  pipeline: PipelineDefinition;
}

export interface ConvertedCrontab {
  definitions: Definitions;
  jobs: ImportedJob[];
  /** Lines that are not carried over; nothing is created for them. */
  problems: CrontabProblem[];
  /** Differences between cron and ECTS the user should know about. */
  notes: string[];
}

/** Variables cron itself reads, which become settings of the pipeline instead of step environment. */
const CRON_SETTINGS = new Set(['MAILTO', 'CRON_TZ']);
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAIL_ADDRESS = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const MAX_DESCRIPTION = 1000;
const MAX_PREFIX = 70;
const MAX_SLUG = 40;

/** Lower-case words joined by dashes, as used in names. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * Names a job after the first words of its command, without paths, redirections, shell operators
 * and variable assignments: `/usr/local/bin/backup.sh --full >/dev/null` becomes `backup-sh-full`.
 */
export function jobSlug(command: string): string {
  const words = command
    .split(/\s+/)
    .map((word) => word.replace(/[;&|)]+$/, ''))
    .filter(
      (word) =>
        word !== '' &&
        !/^\d*[<>&]/.test(word) &&
        !/^[A-Za-z_][A-Za-z0-9_]*=/.test(word) &&
        /^[A-Za-z0-9._/-]+$/.test(word),
    )
    .slice(0, 3)
    .map((word) => word.replace(/\/+$/, '').split('/').pop() ?? word);

  return slugify(words.join(' ')).slice(0, MAX_SLUG).replace(/-+$/, '') || 'job';
}

function envOf(job: CrontabJob): Map<string, string> {
  return new Map(job.env);
}

/** Turns the parsed lines of a crontab into one shell task and one pipeline per job. */
export function convertCrontab(parsed: ParsedCrontab, options: ConvertOptions): ConvertedCrontab {
  const problems: CrontabProblem[] = [...parsed.problems];
  const notes: string[] = [];
  const tasks: TaskDefinition[] = [];
  const pipelines: PipelineDefinition[] = [];
  const jobs: ImportedJob[] = [];
  const usedNames = new Set<string>();
  const mailTasks = new Map<string, TaskDefinition>();
  const prefix = slugify(options.prefix).slice(0, MAX_PREFIX);

  // Variables ECTS cannot carry are reported once, on their own line; the jobs below import without them.
  const unusable = new Map<string, string>();
  for (const variable of parsed.variables) {
    if (!CRON_SETTINGS.has(variable.name) && !ENV_VAR_NAME.test(variable.name)) {
      unusable.set(variable.name, 'variable');
      problems.push({
        line: variable.line,
        text: variable.text,
        reason: `variable name "${variable.name}" is not supported: names are letters, digits and _, not starting with a digit`,
      });
    }
    if (variable.name === 'MAILTO') {
      const addresses = splitAddresses(variable.value);
      const invalid = addresses.filter((address) => !MAIL_ADDRESS.test(address));
      if (invalid.length > 0) {
        problems.push({
          line: variable.line,
          text: variable.text,
          reason:
            `MAILTO ${invalid.map((address) => `"${address}"`).join(', ')} is not an e-mail address; ECTS sends ` +
            'mail over SMTP, so use addresses such as ops@example.com. The jobs below it are imported without mail',
        });
      }
    }
  }

  const uniqueName = (slug: string): string => {
    const base = prefix === '' ? slug : `${prefix}-${slug}`;
    let name = base;
    for (let suffix = 2; usedNames.has(name); suffix++) {
      name = `${base}-${suffix}`;
    }
    usedNames.add(name);

    return name;
  };

  for (const job of parsed.jobs) {
    const env = envOf(job);
    const problem = (reason: string): void => {
      problems.push({ line: job.line, text: job.text, reason });
    };

    const zoneVariable = env.has('CRON_TZ') ? 'CRON_TZ' : env.has('TZ') ? 'TZ' : null;
    const timezone = zoneVariable === null ? options.timezone : (env.get(zoneVariable) ?? options.timezone);
    if (!isValidTimezone(timezone)) {
      problem(
        `time zone "${timezone}" ${zoneVariable ? `from ${zoneVariable} ` : ''}is not an IANA time zone such as Europe/Berlin`,
      );
      continue;
    }
    try {
      parseCron(job.schedule, timezone);
    } catch (error: unknown) {
      problem(error instanceof CronError ? error.message : `invalid schedule: ${messageOf(error)}`);
      continue;
    }

    const shell = env.get('SHELL') || DEFAULT_CRON_SHELL;
    const parts = splitPercent(job.command);
    const name = uniqueName(jobSlug(parts.command));
    const variables = [...env.entries()].filter(([key]) => !CRON_SETTINGS.has(key) && !unusable.has(key));
    // Variables named like passwords or tokens become secret, so ECTS masks them in responses and output.
    const stepEnv: StepDefinition['env'] = variables.some(([key]) => isSecretName(key))
      ? variables.map(([key, value]) => ({ name: key, value, ...(isSecretName(key) ? { secret: true } : {}) }))
      : Object.fromEntries(variables);
    const runAsUser = job.user ?? options.runAsUser;

    const task: TaskDefinition = {
      name,
      description: `Crontab job from ${options.source} line ${job.line}`,
      kind: 'shell',
      config: { command: toShellTaskCommand(parts, shell) },
    };
    const mailTask = mailTaskFor(env.get('MAILTO'), prefix, mailTasks);
    const description = `Imported from ${options.source} line ${job.line}: ${job.text.trim()}`;
    const pipeline: PipelineDefinition = {
      name,
      description: description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description,
      cron: job.schedule,
      timezone,
      // cron starts every fire even while the previous one still runs.
      overlap: 'allow',
      nodes: [options.node],
      ...(mailTask ? { onFailure: mailTask.name } : {}),
      steps: [
        {
          task: name,
          ...(runAsUser ? { runAsUser } : {}),
          ...(variables.length > 0 ? { env: stepEnv } : {}),
        },
      ],
    };

    tasks.push(task);
    pipelines.push(pipeline);
    jobs.push({ line: job.line, task, pipeline });
  }

  if (mailTasks.size > 0) {
    notes.push(
      "cron mails a job's output whenever it prints any; the imported pipelines send mail only when a run fails",
    );
  }
  if (jobs.some((job) => job.pipeline.onFailure === undefined) && !parsed.variables.some((v) => v.name === 'MAILTO')) {
    notes.push("MAILTO is not set, so cron mailed output to the crontab's owner; ECTS keeps the output of every run");
  }

  problems.sort((a, b) => a.line - b.line);

  return { definitions: { tasks: [...mailTasks.values(), ...tasks], pipelines }, jobs, problems, notes };
}

function splitAddresses(value: string): string[] {
  return value
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
}

/** Returns the mail task for a MAILTO value, shared by every job with the same recipients. */
function mailTaskFor(
  mailto: string | undefined,
  prefix: string,
  mailTasks: Map<string, TaskDefinition>,
): TaskDefinition | null {
  const addresses = splitAddresses(mailto ?? '');
  if (addresses.length === 0 || !addresses.every((address) => MAIL_ADDRESS.test(address))) {
    return null;
  }

  const key = addresses.join(',');
  const existing = mailTasks.get(key);
  if (existing) {
    return existing;
  }

  const slug = slugify(addresses.join(' ')).slice(0, MAX_SLUG).replace(/-+$/, '');
  const task: TaskDefinition = {
    name: prefix === '' ? `mail-${slug}` : `${prefix}-mail-${slug}`,
    description: `Mails ${addresses.join(', ')} when an imported crontab job fails, as MAILTO did`,
    kind: 'mail',
    config: {
      to: addresses,
      subject: 'Cron job {{pipeline}} {{status}} on {{node}}',
      body: 'Run {{run}} of pipeline {{pipeline}} ended {{status}} on node {{node}}. Its output is kept in ECTS.',
    },
  };
  mailTasks.set(key, task);

  return task;
}
