import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A minimal TCP load balancer for tests: each new connection goes to the first backend that
 * accepts it, in the order given, so when a backend dies its clients reconnect to the next one.
 */
export class TcpFailoverProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly backends: number[]) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));

    return (this.server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    this.sockets.add(client);
    client.on('close', () => this.sockets.delete(client));
    client.pause();
    this.connect(client, 0);
  }

  private connect(client: Socket, index: number): void {
    if (index >= this.backends.length) {
      client.destroy();

      return;
    }

    const upstream = createConnection({ host: '127.0.0.1', port: this.backends[index] });
    let connected = false;
    upstream.once('error', () => {
      if (!connected) {
        this.connect(client, index + 1);
      }
    });
    upstream.once('connect', () => {
      connected = true;
      this.sockets.add(upstream);
      upstream.on('close', () => {
        this.sockets.delete(upstream);
        client.destroy();
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.on('close', () => upstream.destroy());
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
  }
}
