/**
 * Tests of the live socket: open while watched, messages reach the panel,
 * opened again after a drop, closed for good when no longer watched.
 */

import { ServerConnection } from '@jupyterlab/services';

import { IHistoryChange, LIVE_URL, LiveHistory, MAX_RETRY_MS } from '../live';

/** Stands in for the browser's WebSocket: records what the code does with it. */
class FakeSocket {
  static made: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((msg: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }

  close(): void {
    this.closed = true;
  }

  /** The server accepts the socket. */
  accept(): void {
    this.onopen?.();
  }

  /** The server sends a text. */
  send(data: unknown): void {
    this.onmessage?.({ data });
  }

  /** The connection drops (or was refused). */
  drop(): void {
    this.onclose?.();
  }
}

function settings(token = ''): ServerConnection.ISettings {
  return ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/lab-base/',
    wsUrl: 'ws://localhost:8888/lab-base/',
    token,
    appendToken: true,
    WebSocket: FakeSocket as unknown as typeof WebSocket
  });
}

function listener() {
  const heard = {
    changes: [] as [string, IHistoryChange | undefined][],
    connected: [] as boolean[]
  };
  return {
    heard,
    historyChanged: (path: string, change?: IHistoryChange) =>
      heard.changes.push([path, change]),
    liveChanged: (connected: boolean) => heard.connected.push(connected)
  };
}

beforeEach(() => {
  FakeSocket.made = [];
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('LiveHistory', () => {
  it('opens the socket only while watched, at the live URL with the token', () => {
    const panel = listener();
    const live = new LiveHistory(panel, settings('secret'));
    expect(FakeSocket.made).toHaveLength(0);
    live.watch(true);
    live.watch(true); // still one socket
    expect(FakeSocket.made.map(s => s.url)).toEqual([
      `ws://localhost:8888/lab-base/${LIVE_URL}?token=secret`
    ]);
    FakeSocket.made[0].accept();
    expect(live.connected).toBe(true);
    live.watch(false);
    expect(FakeSocket.made[0].closed).toBe(true);
    expect(panel.heard.connected).toEqual([true, false]);
    jest.advanceTimersByTime(10 * MAX_RETRY_MS);
    expect(FakeSocket.made).toHaveLength(1); // not opened again
    live.dispose();
  });

  it("passes on each change's notebook path and what changed, and nothing else", () => {
    const panel = listener();
    const live = new LiveHistory(panel, settings());
    live.watch(true);
    const socket = FakeSocket.made[0];
    socket.accept();
    socket.send(
      JSON.stringify({ action: 'state', path: 'a.ipynb', state: 's2' })
    );
    socket.send(
      JSON.stringify({
        action: 'label',
        path: 'a.ipynb',
        state: 's1',
        label: 'baseline'
      })
    );
    socket.send(JSON.stringify({ action: 'head', state: 's1' })); // no path
    socket.send('not json');
    socket.send('null');
    expect(panel.heard.changes).toEqual([
      ['a.ipynb', { action: 'state', state: 's2', label: null }],
      ['a.ipynb', { action: 'label', state: 's1', label: 'baseline' }]
    ]);
    live.dispose();
    socket.send(
      JSON.stringify({ action: 'state', path: 'a.ipynb', state: 's3' })
    );
    expect(panel.heard.changes).toHaveLength(2);
  });

  it('opens the socket again after a drop, waiting longer each time it fails', () => {
    const panel = listener();
    const live = new LiveHistory(panel, settings());
    live.watch(true);
    FakeSocket.made[0].accept();
    FakeSocket.made[0].drop();
    expect(live.connected).toBe(false);
    expect(panel.heard.connected).toEqual([true, false]);
    jest.advanceTimersByTime(999);
    expect(FakeSocket.made).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.made).toHaveLength(2);
    FakeSocket.made[1].drop(); // refused: the server is restarting
    jest.advanceTimersByTime(1999);
    expect(FakeSocket.made).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(FakeSocket.made).toHaveLength(3);
    FakeSocket.made[2].accept(); // back: the next drop waits 1 s again
    FakeSocket.made[2].drop();
    jest.advanceTimersByTime(1000);
    expect(FakeSocket.made).toHaveLength(4);
    live.dispose();
    expect(FakeSocket.made[3].closed).toBe(true);
  });

  it('waits at most MAX_RETRY_MS, and stops trying once no longer watched', () => {
    const live = new LiveHistory(listener(), settings());
    live.watch(true);
    for (let i = 0; i < 10; i++) {
      FakeSocket.made[i].drop();
      jest.advanceTimersByTime(MAX_RETRY_MS);
      expect(FakeSocket.made).toHaveLength(i + 2);
    }
    FakeSocket.made[10].drop();
    live.watch(false);
    jest.advanceTimersByTime(10 * MAX_RETRY_MS);
    expect(FakeSocket.made).toHaveLength(11);
    live.dispose();
  });
});
