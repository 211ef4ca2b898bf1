// Writes a benchmark's results: a JSON file with every figure, a Markdown table beside it, and the
// results page bench/RESULTS.md with the latest table and how to read it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {{ figure: string, value: string, target: string, met: boolean | null }} Row
 * @typedef {{ name: string, title: string, seconds: number, parameters?: object, figures?: object,
 *   rows?: Row[], notes?: string[], error?: string }} ScenarioResult
 */

function escapeCell(text) {
  return String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
}

function verdict(met) {
  if (met === null || met === undefined) {
    return '';
  }

  return met ? 'met' : '**missed**';
}

/** Returns the header lines shared by the Markdown file and the results page. */
function headerLines(run) {
  const { machine } = run.header;

  return [
    `- Commit: \`${run.header.commit}\`${run.header.dirty ? ' (with uncommitted changes in the work tree)' : ''}`,
    `- Date: ${run.header.date}`,
    `- Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, ${machine.os}`,
    `- Software: Node ${machine.node}, ${machine.mariadb}, ${machine.etcd}`,
    `- Load average when it started: ${machine.loadAverageAtStart.join(', ')}`,
    `- Command: \`${run.header.command}\`${run.quick ? ' (quick smoke run: small sizes, not comparable)' : ''}`,
  ];
}

/** Returns the results table, the missed targets and the notes, as Markdown lines. */
export function resultLines(run) {
  const lines = ['| scenario | figure | value | target | verdict |', '| --- | --- | --- | --- | --- |'];
  for (const scenario of run.scenarios) {
    if (scenario.error !== undefined) {
      lines.push(`| ${scenario.title} | failed to run | ${escapeCell(scenario.error.split('\n')[0])} | | **error** |`);
      continue;
    }
    for (const row of scenario.rows ?? []) {
      lines.push(
        `| ${scenario.title} | ${escapeCell(row.figure)} | ${escapeCell(row.value)} | ${escapeCell(row.target)} | ${verdict(row.met)} |`,
      );
    }
  }

  const missed = run.scenarios.flatMap((scenario) =>
    (scenario.rows ?? [])
      .filter((row) => row.met === false)
      .map((row) => `- ${scenario.title}: ${row.figure} is ${row.value}; the target is ${row.target}.`),
  );
  const failed = run.scenarios
    .filter((scenario) => scenario.error !== undefined)
    .map((scenario) => `- ${scenario.title} did not finish: ${scenario.error.split('\n')[0]}`);
  const notes = run.scenarios.flatMap((scenario) =>
    (scenario.notes ?? []).map((note) => `- ${scenario.title}: ${note}`),
  );

  return [
    ...lines,
    '',
    '### Targets missed',
    '',
    ...(missed.length + failed.length === 0 ? ['None.'] : [...missed, ...failed]),
    '',
    '### Notes',
    '',
    ...(notes.length === 0 ? ['None.'] : notes),
  ];
}

/**
 * Writes `<base>.json` and `<base>.md` into the directory and returns their paths.
 * @param {string} directory
 * @param {string} base
 * @param {object} run
 */
export function writeResultFiles(directory, base, run) {
  mkdirSync(directory, { recursive: true });
  const jsonPath = join(directory, `${base}.json`);
  const markdownPath = join(directory, `${base}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(
    markdownPath,
    [`# ECTS benchmark ${base}`, '', ...headerLines(run), '', ...resultLines(run), ''].join('\n'),
  );

  return { jsonPath, markdownPath };
}

/**
 * Rewrites the results page: the latest table, how to read each scenario, and how to run it.
 * @param {string} path
 * @param {object} run
 * @param {string} resultBase name of the result files the table comes from
 * @param {{ name: string, title: string, explain: string[], options: object }[]} scenarios
 * @param {string} usage the help text of the command
 */
export function writeResultsPage(path, run, resultBase, scenarios, usage) {
  const explanations = scenarios.flatMap((scenario, index) => [
    `${index + 1}. **${scenario.title}** (\`--scenario ${scenario.name}\`). ${scenario.explain.join(' ')}`,
  ]);
  const lines = [
    '# ECTS benchmarks',
    '',
    '`npm run bench` starts the real system (MariaDB, a fresh etcd, the built API and agents as separate',
    'processes), runs the scenarios below, and writes `bench/results/<date>-<commit>.json` with every',
    'figure and a `.md` table beside it. This page shows the latest full run. Benchmarks report figures:',
    'a missed target is listed here, and the command still exits 0; it exits 1 only when a scenario fails to run.',
    '',
    `## Latest run (results/${resultBase}.json)`,
    '',
    ...headerLines(run),
    '',
    ...resultLines(run),
    '',
    '## How to read the figures',
    '',
    'Times are wall-clock milliseconds on the machine above. p50, p95 and p99 are nearest-rank percentiles',
    'of every sample, so each one is a value that was measured. RSS is resident memory read from',
    '`/proc/<pid>/status`; CPU is the process time from `/proc/<pid>/stat` over the window, where 100 % is',
    'one core. Everything runs on one host, so the database, etcd, the API, the agents and the steps they',
    'start share its cores: the figures show that whole stack on this machine, and other work on the host',
    '(such as a test run) makes them worse. Compare runs on the same machine only.',
    '',
    ...explanations,
    '',
    '## Running it',
    '',
    '```',
    usage.trimEnd(),
    '```',
    '',
  ];
  writeFileSync(path, lines.join('\n'));
}
