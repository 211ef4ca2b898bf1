import { CommanderError, type Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { buildProgram } from './program';

/** Runs ectsctl with the arguments and returns what it printed and how commander ended. */
async function capture(args: string[]): Promise<{ output: string; error: CommanderError }> {
  const program = buildProgram();
  let output = '';
  const write = (text: string): void => {
    output += text;
  };
  const configure = (command: Command): void => {
    command.configureOutput({ writeOut: write, writeErr: write });
    command.commands.forEach(configure);
  };
  configure(program);

  try {
    await program.parseAsync(['node', 'ectsctl', ...args]);
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      return { output, error };
    }
    throw error;
  }
  throw new Error(`ectsctl ${args.join(' ')} did not stop with a commander error`);
}

const COMMANDS = ['login', 'get', 'describe', 'apply', 'export', 'run', 'logs', 'kill', 'import-crontab'];

describe('ectsctl help', () => {
  it('lists every command', async () => {
    const { output, error } = await capture(['--help']);

    expect(error.exitCode).toBe(0);
    for (const command of COMMANDS) {
      expect(output).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(output).toContain('Exit codes: 0 success');
  });

  it.each(COMMANDS)('explains %s with an example', async (command) => {
    const { output, error } = await capture([command, '--help']);

    expect(error.exitCode).toBe(0);
    expect(output).toContain(`Usage: ectsctl ${command}`);
    expect(output).toMatch(/Examples?:\n {2}(ectsctl|crontab) /);
  });

  it('rejects an unknown command as usage', async () => {
    const { output, error } = await capture(['deploy']);

    expect(error.exitCode).toBe(1);
    expect(error.code).toBe('commander.unknownCommand');
    expect(output).toContain("error: unknown command 'deploy'");
  });

  it('rejects a missing required option', async () => {
    const { output, error } = await capture(['import-crontab', '/etc/crontab']);

    expect(error.code).toBe('commander.missingMandatoryOptionValue');
    expect(output).toContain("required option '--node <name>' not specified");
  });
});
