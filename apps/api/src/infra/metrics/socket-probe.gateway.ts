import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { Server } from 'socket.io';

/**
 * Gives the metrics the Socket.IO server that every gateway of the API shares. It binds the main
 * namespace `/`, which Socket.IO serves anyway, and handles no events there.
 */
@WebSocketGateway()
export class SocketProbeGateway {
  @WebSocketServer()
  server: Server | undefined;

  /** Returns the number of sockets connected to `namespace`; 0 before the server is up. */
  connections(namespace: string): number {
    return this.server?._nsps.get(namespace)?.sockets.size ?? 0;
  }
}
