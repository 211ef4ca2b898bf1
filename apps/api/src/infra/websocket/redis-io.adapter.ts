import { Logger, type INestApplicationContext } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { Server, ServerOptions } from 'socket.io';

import { EctsIoAdapter } from './io.adapter';

type RedisClient = ReturnType<typeof createClient>;

/**
 * Socket.IO adapter that relays room broadcasts between API replicas through Redis pub/sub, so a
 * browser on one replica sees the output of an agent reporting to another. Redis suits this traffic,
 * which is high-volume and disposable (the database keeps the record), where etcd would keep every
 * message in its history and hit its space quota.
 */
export class RedisIoAdapter extends EctsIoAdapter {
  private readonly relayLogger = new Logger(RedisIoAdapter.name);
  private adapterConstructor: ReturnType<typeof createAdapter> | null = null;
  private readonly clients: RedisClient[] = [];

  /**
   * @param channelPrefix Redis channel prefix; replicas of one deployment share it, and deployments
   * sharing a Redis keep apart by using their etcd namespace.
   */
  constructor(
    app: INestApplicationContext,
    private readonly url: string,
    private readonly channelPrefix: string,
  ) {
    super(app);
  }

  /** Connects the publisher and subscriber clients; call before the application initialises. */
  async connect(): Promise<void> {
    const publisher = createClient({ url: this.url });
    const subscriber = publisher.duplicate();
    for (const client of [publisher, subscriber]) {
      client.on('error', (error: unknown) => {
        this.relayLogger.warn(`Redis relay error: ${error instanceof Error ? error.message : String(error)}`);
      });
    }

    await Promise.all([publisher.connect(), subscriber.connect()]);
    this.clients.push(publisher, subscriber);
    this.adapterConstructor = createAdapter(publisher, subscriber, { key: this.channelPrefix });
    this.relayLogger.log(`Relaying live events between API replicas through Redis at ${redactUrl(this.url)}`);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options);
    if (this.adapterConstructor) {
      server.adapter(this.adapterConstructor);
    }

    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.clients.splice(0).map((client) => client.quit().catch(() => undefined)));
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
