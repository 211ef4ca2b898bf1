// Start times written by the started processes themselves. A step or cron job runs the stamp
// script, which appends "<label> <nominal fire time or -> <date +%s%N>" to a file, so ECTS and cron
// are measured by the same command.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const STAMP_SCRIPT = `#!/bin/sh
# Usage: stamp.sh LABEL NOMINAL FILE; appends LABEL, NOMINAL and this process's start time in nanoseconds.
printf '%s %s %s\\n' "$1" "$2" "$(date +%s%N)" >> "$3"
`;

/**
 * Creates a world-readable directory with the stamp script in it, and returns both paths.
 * @param {string} prefix
 */
export function createStampDirectory(prefix) {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  const script = join(directory, 'stamp.sh');
  writeFileSync(script, STAMP_SCRIPT, { mode: 0o755 });

  return { directory, script };
}

/**
 * Returns the shell command of an ECTS step that stamps into `file`, labelled with the pipeline name.
 * @param {string} script
 * @param {string} file
 */
export function ectsStampCommand(script, file) {
  return `/bin/sh ${script} "$ECTS_PIPELINE_NAME" "$ECTS_SCHEDULED_AT" ${file}`;
}

/**
 * Reads a stamp file into { label, nominalMs, startedMs } records; nominalMs is NaN where the
 * writer passed "-" (cron jobs, which know no nominal time).
 * @param {string} file
 */
export function readStamps(file) {
  if (!existsSync(file)) {
    return [];
  }

  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [label, nominal, startedNs] = line.split(' ');

      return {
        label,
        nominalMs: nominal === '-' ? NaN : Date.parse(nominal),
        // Nanoseconds since the epoch exceed 2^53, so the last six digits are split off before converting.
        startedMs: Number(startedNs.slice(0, -6)) + Number(startedNs.slice(-6)) / 1e6,
      };
    });
}

/**
 * Compares stamps with the expected fires, which are every label at every fire time. Returns the
 * lateness of the first stamp of each fire, the number of expected fires without a stamp, and the
 * number of stamps beyond the first of a fire (doubles).
 * @param {{ label: string, nominalMs: number, startedMs: number }[]} stamps
 * @param {string[]} labels every label that should fire
 * @param {number[]} fireTimes every nominal fire time in the window, in ms
 */
export function compareWithExpected(stamps, labels, fireTimes) {
  const expected = new Set(labels);
  const nominal = new Set(fireTimes);
  const firstStart = new Map();
  let doubles = 0;

  for (const stamp of stamps) {
    if (!expected.has(stamp.label) || !nominal.has(stamp.nominalMs)) {
      continue;
    }
    const key = `${stamp.label} ${stamp.nominalMs}`;
    if (firstStart.has(key)) {
      doubles++;
    } else {
      firstStart.set(key, stamp.startedMs - stamp.nominalMs);
    }
  }

  return {
    latenessMs: [...firstStart.values()],
    misses: labels.length * fireTimes.length - firstStart.size,
    doubles,
  };
}
