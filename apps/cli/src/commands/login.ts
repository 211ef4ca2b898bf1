import type { Command } from 'commander';

import { ApiClient } from '../api/client';
import type { MeDto } from '../api/schema';
import { configPath, loginServer, writeConfig } from '../config';
import { readStdin, type GlobalOptions } from '../context';
import { CliError } from '../errors';
import { err, out } from '../output';

interface LoginOptions {
  token?: string;
  tokenStdin?: boolean;
}

/** Reads a token from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    let answer = '';
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    input.setEncoding('utf8');

    const finish = (): void => {
      input.setRawMode(false);
      input.pause();
      input.removeListener('data', onData);
      process.stderr.write('\n');
    };
    const onData = (data: string): void => {
      for (const character of data) {
        if (character === '\r' || character === '\n' || character === '\u0004') {
          finish();
          resolve(answer);

          return;
        }
        if (character === '\u0003') {
          finish();
          reject(new CliError('USAGE', 'Login cancelled'));

          return;
        }
        answer = character === '\u007f' ? answer.slice(0, -1) : answer + character;
      }
    };
    input.on('data', onData);
  });
}

async function readToken(options: LoginOptions): Promise<string> {
  if (options.token !== undefined) {
    return options.token.trim();
  }
  if (options.tokenStdin || !process.stdin.isTTY) {
    return readStdin().trim();
  }

  return (await promptHidden('API token: ')).trim();
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description('Check a server address and API token, and store them in the user config (mode 0600)')
    .option('--token <token>', 'API token; visible to other users in the process list, prefer --token-stdin')
    .option('--token-stdin', 'read the API token from standard input')
    .addHelpText(
      'after',
      '\nWithout --token or --token-stdin the token is asked for on the terminal. The config file is\n' +
        '$ECTSCTL_CONFIG, or ectsctl/config.json under $XDG_CONFIG_HOME (default ~/.config).\n' +
        'CI jobs can skip login and set ECTS_SERVER and ECTS_TOKEN instead.\n\n' +
        'Example:\n  ectsctl login --server https://ects.example.com --token-stdin < token.txt',
    )
    .action(async (options: LoginOptions, command: Command) => {
      const path = configPath();
      const server = loginServer(command.optsWithGlobals<GlobalOptions>().server);

      const token = await readToken(options);
      if (token === '') {
        throw new CliError('USAGE', 'The API token is empty; an admin creates one with POST /api/tokens');
      }

      const client = new ApiClient({ server, token, serverSource: server, tokenSource: 'the login' });
      const me = await client.get<MeDto>('/api/auth/me');
      writeConfig(path, { server, token });

      out(`Logged in to ${server} as ${me.name} <${me.email}>, acting as ${me.effectiveRole} (via ${me.via})`);
      err(`Saved the server and token to ${path}`);
      if (me.via !== 'token') {
        err('Note: this is a session token that expires; CI jobs should use an API token (ects_...)');
      }
    });
}
