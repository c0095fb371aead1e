/**
 * Live history: while the history panel is visible it keeps a websocket open
 * to the server extension (`jupyter-branch/api/live`, `jupyter_branch/live.py`),
 * on which the server says what changed (a new state, a Head move, a label),
 * and the panel refreshes at once. The server tells only the sockets open, so
 * with no panel visible, announcing costs it nothing. The socket is opened
 * again after a drop (waiting 1 s, then twice as long each time, at most
 * `MAX_RETRY_MS`); polling stays, slower while the socket is open, as a
 * fallback.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';

import { ILiveChange } from './wire';

/** The socket's URL below the server's base URL. */
export const LIVE_URL = 'jupyter-branch/api/live';

/** The longest wait before opening the socket again after it dropped. */
export const MAX_RETRY_MS = 30000;

/**
 * What changed, as the panel is told it (the server's message: `ILiveChange`).
 */
export interface IHistoryChange {
  action: 'state' | 'head' | 'label';
  /** The state made, moved to or labelled. */
  state: string | null;
  /** For a label change: the state's label now (null: removed). */
  label?: string | null;
}

/**
 * What a panel needs to follow the server's messages.
 */
export interface IHistoryListener {
  /** A notebook's history changed on the server (its API path): what changed. */
  historyChanged(path: string, change?: IHistoryChange): void;
  /** The socket opened (changes now come at once) or closed. */
  liveChanged?(connected: boolean): void;
}

/**
 * The live socket of one panel: open while `watch(true)`, closed by
 * `watch(false)` or `dispose()`.
 */
export class LiveHistory implements IDisposable {
  constructor(
    private _listener: IHistoryListener,
    private _settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {}

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The socket is open: changes come at once. */
  get connected(): boolean {
    return this._connected;
  }

  /** Keep the socket open (the panel is visible), or close it. */
  watch(on: boolean): void {
    this._watching = on && !this._isDisposed;
    if (this._watching) {
      if (this._socket === null && this._retry === null) {
        this._open();
      }
      return;
    }
    if (this._retry !== null) {
      clearTimeout(this._retry);
      this._retry = null;
    }
    const socket = this._socket;
    if (socket !== null) {
      this._socket = null;
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
      this._setConnected(false);
    }
  }

  dispose(): void {
    if (!this._isDisposed) {
      this.watch(false);
      this._isDisposed = true;
    }
  }

  private _open(): void {
    const { appendToken, token, WebSocket, wsUrl } = this._settings;
    let url = URLExt.join(wsUrl, LIVE_URL);
    if (appendToken && token !== '') {
      url += `?token=${encodeURIComponent(token)}`;
    }
    const socket = new WebSocket(url);
    this._socket = socket;
    socket.onopen = () => {
      this._failures = 0;
      this._setConnected(true);
    };
    socket.onmessage = (msg: MessageEvent) => this._onMessage(msg.data);
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      this._setConnected(false);
      if (this._watching) {
        const wait = Math.min(MAX_RETRY_MS, 1000 * 2 ** this._failures);
        this._failures += 1;
        this._retry = setTimeout(() => {
          this._retry = null;
          if (this._watching) {
            this._open();
          }
        }, wait);
      }
    };
  }

  private _setConnected(connected: boolean): void {
    if (connected !== this._connected) {
      this._connected = connected;
      this._listener.liveChanged?.(connected);
    }
  }

  private _onMessage(data: unknown): void {
    let message: unknown;
    try {
      message = JSON.parse(String(data));
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) {
      return;
    }
    const { path, action, state, label } = message as Partial<ILiveChange>;
    if (typeof path !== 'string') {
      return;
    }
    this._listener.historyChanged(path, {
      action: action as ILiveChange['action'],
      state: typeof state === 'string' ? state : null,
      label: typeof label === 'string' ? label : null
    });
  }

  private _connected = false;
  private _failures = 0;
  private _isDisposed = false;
  private _retry: ReturnType<typeof setTimeout> | null = null;
  private _socket: WebSocket | null = null;
  private _watching = false;
}
