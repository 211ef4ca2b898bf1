import { LIVE_EVENTS, LIVE_NAMESPACE, type OutputChunk, type RunStatus } from '@ects/domain';
import { io, type Socket } from 'socket.io-client';

import type { Schemas } from '../api/client';

/** A room of the `/live` namespace: one run, one node, or the dashboard. */
export type LiveRoom = 'dashboard' | `run:${string}` | `node:${string}`;

export interface OutputEvent {
  runId: string;
  position: number;
  chunks: OutputChunk[];
}

export interface StepEvent {
  runId: string;
  step: Schemas['StepRunDto'];
}

export interface NodeEvent {
  id: string;
  name: string;
  status: Schemas['NodeDto']['status'];
  lastSeenAt: string | null;
  version: string;
}

/** Payloads of the events the API pushes on `/live`. */
export interface LiveEventMap {
  run: Schemas['RunDto'] & { status: RunStatus };
  step: StepEvent;
  output: OutputEvent;
  node: NodeEvent;
}

export type LiveEventName = keyof LiveEventMap;

type Handler<E extends LiveEventName> = (payload: LiveEventMap[E]) => void;

interface Subscription {
  room: LiveRoom;
  event: LiveEventName;
  handler: (payload: never) => void;
}

/**
 * One Socket.IO connection to the `/live` namespace for the whole SPA. Rooms are counted, so several
 * views may follow the same run, and they are joined again after a reconnect, because the server
 * forgets a socket's rooms when it disconnects.
 */
export class LiveClient {
  private socket: Socket | null = null;
  private token: string | null = null;
  private readonly subscriptions = new Set<Subscription>();
  private readonly reconnectListeners = new Set<() => void>();

  /** Connects with the session's token, or disconnects when it is null. */
  setToken(token: string | null): void {
    if (token === this.token) {
      return;
    }

    this.token = token;
    this.socket?.disconnect();
    this.socket = null;
    if (token !== null && this.subscriptions.size > 0) {
      this.connect();
    }
  }

  /**
   * Calls `handler` for each `event` of `room` until the returned function is called. `onResync` runs
   * after each reconnect, so the caller can fetch what it missed while disconnected.
   */
  follow<E extends LiveEventName>(room: LiveRoom, event: E, handler: Handler<E>, onResync?: () => void): () => void {
    const subscription: Subscription = { room, event, handler: handler };
    const joined = this.roomCount(room) > 0;
    this.subscriptions.add(subscription);
    if (onResync !== undefined) {
      this.reconnectListeners.add(onResync);
    }

    const socket = this.connect();
    if (!joined && socket?.connected) {
      socket.emit(LIVE_EVENTS.join, { room });
    }

    return () => {
      this.subscriptions.delete(subscription);
      if (onResync !== undefined) {
        this.reconnectListeners.delete(onResync);
      }
      if (this.roomCount(room) === 0 && this.socket?.connected) {
        this.socket.emit(LIVE_EVENTS.leave, { room });
      }
    };
  }

  /** Whether the connection is up; views show a hint while it is not. */
  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  private roomCount(room: LiveRoom): number {
    let count = 0;
    for (const subscription of this.subscriptions) {
      if (subscription.room === room) {
        count += 1;
      }
    }

    return count;
  }

  private connect(): Socket | null {
    if (this.socket !== null || this.token === null) {
      return this.socket;
    }

    const socket = io(LIVE_NAMESPACE, { auth: { token: this.token }, transports: ['websocket'] });
    let connectedBefore = false;
    socket.on('connect', () => {
      const rooms = new Set([...this.subscriptions].map((subscription) => subscription.room));
      for (const room of rooms) {
        socket.emit(LIVE_EVENTS.join, { room });
      }
      if (connectedBefore) {
        for (const listener of this.reconnectListeners) {
          listener();
        }
      }
      connectedBefore = true;
    });

    for (const event of [LIVE_EVENTS.run, LIVE_EVENTS.step, LIVE_EVENTS.output, LIVE_EVENTS.node] as const) {
      socket.on(event, (payload: LiveEventMap[typeof event]) => this.dispatch(event, payload));
    }

    this.socket = socket;

    return socket;
  }

  private dispatch<E extends LiveEventName>(event: E, payload: LiveEventMap[E]): void {
    for (const subscription of this.subscriptions) {
      if (subscription.event === event && matchesRoom(subscription.room, event, payload)) {
        (subscription.handler as Handler<E>)(payload);
      }
    }
  }
}

/** Events reach every room the socket joined, so each subscription keeps only those about its own room. */
function matchesRoom<E extends LiveEventName>(room: LiveRoom, event: E, payload: LiveEventMap[E]): boolean {
  if (room === 'dashboard') {
    return event === 'run' || event === 'node';
  }

  const [kind, id] = room.split(':') as ['run' | 'node', string];
  switch (event) {
    case 'run': {
      const run = payload as LiveEventMap['run'];

      return kind === 'run' ? run.id === id : run.nodeId === id;
    }
    case 'step':
    case 'output':
      return kind === 'run' && (payload as LiveEventMap['output']).runId === id;
    case 'node':
      return kind === 'node' && (payload as LiveEventMap['node']).id === id;
    default:
      return false;
  }
}

export const live = new LiveClient();
