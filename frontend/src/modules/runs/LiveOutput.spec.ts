import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { OutputChunk } from '@ects/domain';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { Server as SocketServer } from 'socket.io';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { setAuthHooks } from '../../api/client';
import { i18n, setLocale } from '../../i18n';
import { live } from '../../live/live-client';
import LiveOutput from './LiveOutput.vue';

const RUN_ID = '0193a1b2-0000-7000-8000-000000000001';
const TOKEN = 'live-output-test-token';

interface LiveOutputView {
  text(): string;
  flushed(): Promise<void>;
}

/**
 * A small stand-in for the API: the logs endpoint over stored chunks, and the `/live` namespace,
 * both on a real HTTP server on 127.0.0.1, so the component runs its real client code.
 */
class FakeApi {
  readonly stored = new Map<number, OutputChunk[]>();
  readonly logRequests: string[] = [];
  private http!: HttpServer;
  private io!: SocketServer;
  joins = 0;

  async start(): Promise<string> {
    this.http = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const match = /^\/api\/runs\/([^/]+)\/steps\/(\d+)\/logs$/.exec(url.pathname);
      if (request.headers.authorization !== `Bearer ${TOKEN}` || match === null || match[1] !== RUN_ID) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"message":"nope"}');

        return;
      }

      this.logRequests.push(`${match[2]}:${url.searchParams.get('afterSequence')}`);
      const after = Number(url.searchParams.get('afterSequence') ?? -1);
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const newer = (this.stored.get(Number(match[2])) ?? []).filter((chunk) => chunk.sequence > after);
      const page = newer.slice(0, limit);
      const body = {
        chunks: page.map((chunk) => ({ sequence: chunk.sequence, stream: chunk.stream, chunk: chunk.data })),
        more: newer.length > page.length,
      };
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    this.io = new SocketServer(this.http);
    this.io.of('/live').use((socket, next) => {
      next((socket.handshake.auth as { token?: string }).token === TOKEN ? undefined : new Error('unauthorized'));
    });
    this.io.of('/live').on('connection', (socket) => {
      socket.on('join', async (request: { room: string }, ack?: (result: { ok: boolean }) => void) => {
        await socket.join(request.room);
        this.joins += 1;
        ack?.({ ok: true });
      });
    });

    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));

    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  store(position: number, ...chunks: OutputChunk[]): void {
    this.stored.set(position, [...(this.stored.get(position) ?? []), ...chunks]);
  }

  emit(position: number, ...chunks: OutputChunk[]): void {
    this.io.of('/live').to(`run:${RUN_ID}`).emit('output', { runId: RUN_ID, position, chunks });
  }

  async stop(): Promise<void> {
    await this.io.close();
  }
}

function chunk(sequence: number, data: string, stream: OutputChunk['stream'] = 'stdout'): OutputChunk {
  return { sequence, stream, data };
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();

      return;
    } catch (error: unknown) {
      if (Date.now() > deadline) {
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('LiveOutput', () => {
  const api = new FakeApi();
  let wrapper: VueWrapper | undefined;

  beforeAll(async () => {
    const baseUrl = await api.start();
    // Relative URLs of the REST client and Socket.IO resolve against the page's location.
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${baseUrl}/runs/${RUN_ID}`);
    setAuthHooks({ token: () => TOKEN, unauthorized: () => undefined });
    live.setToken(TOKEN);
  });

  afterAll(async () => {
    live.setToken(null);
    await api.stop();
  });

  beforeEach(() => {
    setLocale('en');
    api.stored.clear();
    api.logRequests.length = 0;
  });

  afterEach(() => {
    wrapper?.unmount();
    wrapper = undefined;
  });

  async function render(props: { position?: number; follow?: boolean } = {}): Promise<LiveOutputView> {
    const joinsBefore = api.joins;
    wrapper = mount(LiveOutput, {
      props: { runId: RUN_ID, position: props.position ?? 0, follow: props.follow ?? true },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    const view = wrapper.vm as unknown as LiveOutputView;
    if (props.follow ?? true) {
      await eventually(() => expect(api.joins).toBeGreaterThan(joinsBefore));
    }
    await flushPromises();

    return view;
  }

  async function textOf(view: LiveOutputView): Promise<string> {
    await view.flushed();

    return view.text();
  }

  it('shows the stored output', async () => {
    api.store(0, chunk(0, 'first line\n'), chunk(1, 'second line\n'));
    const view = await render({ follow: false });

    await eventually(async () => expect(await textOf(view)).toBe('first line\nsecond line'));
  });

  it('appends live output as it arrives', async () => {
    api.store(0, chunk(0, 'stored\n'));
    const view = await render();
    await eventually(async () => expect(await textOf(view)).toBe('stored'));

    api.emit(0, chunk(1, 'live 1\n'));
    await eventually(async () => expect(await textOf(view)).toBe('stored\nlive 1'));
    api.emit(0, chunk(2, 'live 2\n'), chunk(3, 'live 3\n'));

    await eventually(async () => expect(await textOf(view)).toBe('stored\nlive 1\nlive 2\nlive 3'));
  });

  it('skips chunks it already wrote', async () => {
    api.store(0, chunk(0, 'a\n'), chunk(1, 'b\n'));
    const view = await render();
    await eventually(async () => expect(await textOf(view)).toBe('a\nb'));

    api.emit(0, chunk(1, 'b\n'), chunk(2, 'c\n'));
    api.emit(0, chunk(2, 'c\n'));

    await eventually(async () => expect(await textOf(view)).toBe('a\nb\nc'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await textOf(view)).toBe('a\nb\nc');
  });

  it('fetches a gap from the API', async () => {
    api.store(0, chunk(0, 'zero\n'));
    const view = await render();
    await eventually(async () => expect(await textOf(view)).toBe('zero'));

    // Chunks 1 and 2 were stored while their events were missed; 3 arrives live.
    api.store(0, chunk(1, 'one\n'), chunk(2, 'two\n'), chunk(3, 'three\n'));
    api.emit(0, chunk(3, 'three\n'));

    await eventually(async () => expect(await textOf(view)).toBe('zero\none\ntwo\nthree'));
    expect(api.logRequests).toEqual(['0:-1', '0:0']);
  });

  it('writes chunks in sequence order', async () => {
    const view = await render();

    api.store(0, chunk(0, 'a\n'), chunk(1, 'b\n'), chunk(2, 'c\n'));
    api.emit(0, chunk(2, 'c\n'), chunk(0, 'a\n'), chunk(1, 'b\n'));

    await eventually(async () => expect(await textOf(view)).toBe('a\nb\nc'));
  });

  it('ignores output of other steps', async () => {
    const view = await render({ position: 1 });

    api.emit(0, chunk(0, 'step zero\n'));
    api.emit(1, chunk(0, 'step one\n'));

    await eventually(async () => expect(await textOf(view)).toBe('step one'));
  });

  it('renders output as text, never HTML', async () => {
    api.store(0, chunk(0, '<img src=x onerror="window.injected=1"><b>bold</b>\n'));
    const view = await render({ follow: false });

    await eventually(async () => expect(await textOf(view)).toBe('<img src=x onerror="window.injected=1"><b>bold</b>'));
    expect(wrapper!.find('img').exists()).toBe(false);
    expect(wrapper!.find('b').exists()).toBe(false);
  });

  it('keeps ANSI colours as colours', async () => {
    api.store(0, chunk(0, 'plain \x1b[32mgreen\x1b[0m done\n'), chunk(1, 'oops\n', 'stderr'));
    const view = await render({ follow: false });

    // The escape sequences style the text instead of showing up in it.
    await eventually(async () => expect(await textOf(view)).toBe('plain green done\noops'));
    const rows = wrapper!.findAll('.xterm-rows > div');
    expect(rows[0]!.find('.xterm-fg-2').text()).toBe('green');
    expect(rows[1]!.find('.xterm-fg-1').text()).toBe('oops');
  });

  it('says when there is no output', async () => {
    await render({ follow: false });
    await eventually(() => expect(wrapper!.text()).toContain('No output'));
  });

  it('says it waits while following', async () => {
    await render();
    await eventually(() => expect(wrapper!.text()).toContain('Waiting for output…'));
  });

  it('fetches once more when the step ends', async () => {
    const view = await render();
    api.store(0, chunk(0, 'written before the end\n'), chunk(2_147_483_647, '[ECTS] 10 bytes dropped\n', 'system'));

    await wrapper!.setProps({ follow: false });

    await eventually(async () => expect(await textOf(view)).toBe('written before the end\n[ECTS] 10 bytes dropped'));
  });
});
