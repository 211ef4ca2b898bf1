#!/usr/bin/env node
// npm run bench: starts MariaDB, etcd, the API and agents as processes, runs the chosen scenarios,
// and writes the results to bench/results/ (and, after a full run, to bench/RESULTS.md).
import { spawnSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { ROOT, startServices } from './lib/cluster.mjs';
import { describeRun } from './lib/machine.mjs';
import { writeResultFiles, writeResultsPage } from './lib/report.mjs';
import apiScale from './scenarios/api-scale.mjs';
import capacity from './scenarios/capacity.mjs';
import failover from './scenarios/failover.mjs';
import fireLateness from './scenarios/fire-lateness.mjs';
import output from './scenarios/output.mjs';
import propagation from './scenarios/propagation.mjs';
import throughput from './scenarios/throughput.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = [fireLateness, capacity, throughput, propagation, failover, output, apiScale];

const COMMON_OPTIONS = {
  scenario: { type: 'string', description: 'comma-separated scenarios to run (default: all)' },
  quick: { type: 'boolean', description: 'smoke run with small sizes; results go to bench/results/quick/' },
  'skip-build': { type: 'boolean', description: 'use the existing dist/ builds of the API and the agent' },
  'results-page': { type: 'boolean', description: 'rewrite bench/RESULTS.md even after a partial run' },
  help: { type: 'boolean', description: 'print this help' },
};

function log(message) {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

function usage() {
  const lines = [
    'Usage: npm run bench -- [options]',
    '',
    `Scenarios, in the order they run: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}.`,
    '',
    'Options:',
  ];
  for (const [name, option] of Object.entries(COMMON_OPTIONS)) {
    lines.push(`  --${name.padEnd(22)} ${option.description}`);
  }
  for (const scenario of SCENARIOS) {
    lines.push('', `${scenario.title} (${scenario.name}):`);
    for (const [name, option] of Object.entries(scenario.options)) {
      const sizes = option.type === 'boolean' ? '' : ` (default ${option.default}, --quick ${option.quick})`;
      lines.push(`  --${name.padEnd(22)} ${option.description}${sizes}`);
    }
  }

  lines.push('', 'Set ECTS_BENCH_VERBOSE=1 to copy the output of every API, agent and cron process to stderr.');

  return `${lines.join('\n')}\n`;
}

/** Parses the command line; scenario options are numbers, lists of numbers, or flags. */
function parseCommandLine(argv) {
  const parseOptions = {};
  for (const [name, option] of Object.entries(COMMON_OPTIONS)) {
    parseOptions[name] = { type: option.type };
  }
  for (const scenario of SCENARIOS) {
    for (const [name, option] of Object.entries(scenario.options)) {
      if (parseOptions[name] !== undefined) {
        throw new Error(`Option --${name} is defined twice; scenario option names must be unique`);
      }
      parseOptions[name] = { type: option.type === 'boolean' ? 'boolean' : 'string' };
    }
  }
  const { values } = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false });

  const names = values.scenario === undefined ? SCENARIOS.map((scenario) => scenario.name) : values.scenario.split(',');
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name.trim()));
  if (unknown.length > 0) {
    throw new Error(`Unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }

  const chosen = SCENARIOS.filter((scenario) => names.some((name) => name.trim() === scenario.name));
  const scenarioOptions = new Map();
  for (const scenario of chosen) {
    const resolved = {};
    for (const [name, option] of Object.entries(scenario.options)) {
      resolved[name] = resolveOption(name, option, values[name], values.quick === true);
    }
    scenarioOptions.set(scenario.name, resolved);
  }

  return { values, chosen, scenarioOptions };
}

function resolveOption(name, option, given, quick) {
  if (option.type === 'boolean') {
    return given === true;
  }
  const text = given ?? String(quick ? option.quick : option.default);
  const numbers = text.split(',').map((part) => Number(part.trim()));
  if (numbers.some((number) => !Number.isFinite(number) || number < 0)) {
    throw new Error(
      `Invalid --${name} "${text}": expected ${option.type === 'list' ? 'numbers separated by commas' : 'a number'}`,
    );
  }

  return option.type === 'list' ? numbers : numbers[0];
}

function build() {
  log('building the API and the agent (skip with --skip-build)');
  const result = spawnSync(
    'npx',
    ['nx', 'run-many', '-t', 'build', '-p', '@ects/api', '@ects/agent', '--output-style=static'],
    { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    throw new Error(`Building the API and the agent failed with exit code ${result.status}`);
  }
}

/** Runs one scenario with its own cleanups, and returns its result or the error that stopped it. */
async function runScenario(scenario, services, options) {
  const cleanups = [];
  const startedAt = Date.now();
  const scenarioLog = (message) => log(`${scenario.name}: ${message}`);
  activeCleanups = cleanups;

  let result;
  try {
    scenarioLog(`starting with ${JSON.stringify(options)}`);
    result = await scenario.run({
      services,
      options,
      log: scenarioLog,
      onCleanup: (cleanup) => cleanups.push(cleanup),
    });
  } catch (error) {
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    scenarioLog(`failed: ${message}`);
    result = { error: message };
  } finally {
    await runCleanups(cleanups);
    activeCleanups = [];
  }
  const seconds = Math.round((Date.now() - startedAt) / 1000);
  scenarioLog(`done in ${seconds} s`);

  return { name: scenario.name, title: scenario.title, seconds, options, ...result };
}

async function runCleanups(cleanups) {
  for (const cleanup of cleanups.splice(0).reverse()) {
    try {
      await cleanup();
    } catch (error) {
      log(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

let activeCleanups = [];
let interrupted = false;

async function main(argv) {
  const { values, chosen, scenarioOptions } = parseCommandLine(argv);
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }

  if (!values['skip-build']) {
    build();
  }
  const run = { header: describeRun(argv), quick: values.quick === true, scenarios: [] };
  log(
    `commit ${run.header.shortCommit}, ${run.header.machine.cores} cores, scenarios ${chosen.map((s) => s.name).join(', ')}`,
  );

  const services = await startServices();
  try {
    for (const scenario of chosen) {
      if (interrupted) {
        break;
      }
      run.scenarios.push(await runScenario(scenario, services, scenarioOptions.get(scenario.name)));
    }
  } finally {
    await services.stop();
  }

  const full = chosen.length === SCENARIOS.length;
  const date = run.header.date.slice(0, 10);
  const base = `${date}-${run.header.shortCommit}${full ? '' : `-${chosen.map((s) => s.name).join('+')}`}`;
  const directory = run.quick ? join(BENCH_DIR, 'results', 'quick') : join(BENCH_DIR, 'results');
  const written = writeResultFiles(directory, base, run);
  log(`wrote ${relative(ROOT, written.jsonPath)} and ${relative(ROOT, written.markdownPath)}`);

  if (!run.quick && !interrupted && (full || values['results-page'])) {
    writeResultsPage(join(BENCH_DIR, 'RESULTS.md'), run, base, SCENARIOS, usage());
    log('wrote bench/RESULTS.md');
  }

  return run.scenarios.some((scenario) => scenario.error !== undefined) ? 1 : 0;
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: stopping the processes of the running scenario`);
    runCleanups(activeCleanups).finally(() => process.exit(130));
  });
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((error) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
