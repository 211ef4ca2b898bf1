import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';

/** Largest Socket.IO message accepted: an agent's batch of output events can pass the 1 MB default. */
export const MAX_SOCKET_MESSAGE_BYTES = 16 * 1024 * 1024;

/**
 * The Socket.IO adapter of the API. Nest builds one server for all gateways from the options of the
 * first one it sets up, so the message limit is set here, where it applies to every namespace.
 */
export class EctsIoAdapter extends IoAdapter {
  override createIOServer(port: number, options?: ServerOptions): Server {
    const withLimit = { ...options, maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES } as ServerOptions;

    return super.createIOServer(port, withLimit);
  }
}
