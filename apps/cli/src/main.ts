#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };

const USAGE = `Usage: ectsctl <command>

ectsctl is the ECTS command line for people and CI scripts.

Commands:
  version     Print the version of ectsctl

Until more commands exist, use the REST API with an API token:
  curl -H "Authorization: Bearer $ECTS_TOKEN" "$ECTS_SERVER/api/pipelines"
The OpenAPI document is served at $ECTS_SERVER/api/docs.`;

function main(argv: string[]): number {
  const [command] = argv;
  if (command === 'version' || command === '--version') {
    process.stdout.write(`ectsctl ${version}\n`);

    return 0;
  }
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);

    return command === undefined ? 2 : 0;
  }

  process.stderr.write(`ectsctl: unknown command "${command}"\n\n${USAGE}\n`);

  return 2;
}

process.exitCode = main(process.argv.slice(2));
