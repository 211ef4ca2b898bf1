import { createServer, connect, type Server, type Socket } from 'node:net';

import type { ManagedProcess } from './processes';

/** Samples of one scrape, keyed by series as written (`name{label="value"}`), and the metric families. */
export interface Scrape {
  text: string;
  samples: Map<string, number>;
  families: Set<string>;
}

export function parseScrape(text: string): Scrape {
  const samples = new Map<string, number>();
  const families = new Set<string>();

  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type !== null) {
      families.add(type[1]);
      continue;
    }
    if (line === '' || line.startsWith('#')) {
      continue;
    }

    const separator = line.lastIndexOf(' ');
    samples.set(line.slice(0, separator), Number(line.slice(separator + 1)));
  }

  return { text, samples, families };
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) {
    throw new Error(`GET ${url} returned ${response.status}: ${await response.text()}`);
  }

  return parseScrape(await response.text());
}

/** Sums the samples of a metric whose labels include every given label. */
export function total(scraped: Scrape, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;

  for (const [series, value] of scraped.samples) {
    const brace = series.indexOf('{');
    const seriesName = brace === -1 ? series : series.slice(0, brace);
    if (seriesName !== name) {
      continue;
    }
    if (Object.entries(labels).every(([label, expected]) => series.includes(`${label}="${expected}"`))) {
      sum += value;
    }
  }

  return sum;
}

/** Keeps everything a process writes to stdout and stderr from now on; `logs()` keeps only a tail. */
export function captureOutput(process: ManagedProcess, into: string[]): void {
  const keep = (data: Buffer): void => {
    into.push(data.toString());
  };
  process.child.stdout?.on('data', keep);
  process.child.stderr?.on('data', keep);
}

/**
 * A TCP proxy on a free loopback port in front of a server, which a test can cut and restore to
 * make the server unreachable for its clients without stopping it.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  private open = true;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client) => proxy.accept(client, targetHost, targetPort));

    return proxy;
  }

  /** Closes every connection and rejects new ones until restore(). */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) {
      socket.destroy();
    }
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, targetHost: string, targetPort: number): void {
    if (!this.open) {
      client.destroy();
      return;
    }

    const upstream = connect(targetPort, targetHost);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}

/** Metric names that a PromQL expression reads: identifiers of ECTS, process and Node.js metrics. */
export function metricNamesIn(expression: string): string[] {
  const names = expression.match(/\b(?:ects|process|nodejs)_[a-zA-Z0-9_:]*/g) ?? [];

  return [...new Set(names)];
}
