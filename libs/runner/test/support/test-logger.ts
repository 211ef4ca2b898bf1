import type { RunnerLogger } from '../../src/logger';

/** A logger that keeps its lines, so tests stay quiet and can assert on warnings. */
export class TestLogger implements RunnerLogger {
  readonly lines: string[] = [];

  log(message: string): void {
    this.lines.push(`LOG ${message}`);
  }

  warn(message: string): void {
    this.lines.push(`WARN ${message}`);
  }

  error(message: string, stack?: string): void {
    this.lines.push(`ERROR ${message}${stack !== undefined ? `\n${stack}` : ''}`);
  }

  debug(message: string): void {
    this.lines.push(`DEBUG ${message}`);
  }

  /** Lines at one level, or all of them. */
  messages(level?: 'LOG' | 'WARN' | 'ERROR' | 'DEBUG'): string[] {
    return level === undefined ? this.lines : this.lines.filter((line) => line.startsWith(`${level} `));
  }
}
