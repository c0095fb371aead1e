/**
 * Live history: the server announces every change (a new state, a Head move, a
 * label) on jupyter_server's event bus (`jupyter_branch/events/history.yaml`),
 * and each open panel refreshes at once. Polling stays, slower, as a fallback
 * for servers whose event bus does not reach the browser.
 */

import { Event } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';

/**
 * The event schema the server extension registers.
 */
export const HISTORY_EVENTS =
  'https://events.jupyter.org/jupyter_branch/history/v1';

/**
 * What changed, as the server announced it (`jupyter_branch/events/history.yaml`).
 */
export interface IHistoryChange {
  action: 'state' | 'head' | 'label';
  /** The state made, moved to or labelled. */
  state: string | null;
  /** For a label change: the state's label now (null: removed). */
  label?: string | null;
}

/**
 * What a panel needs to follow the server's announcements.
 */
export interface IHistoryListener {
  /** A notebook's history changed on the server (its API path): what changed. */
  historyChanged(path: string, change?: IHistoryChange): void;
}

/**
 * Connects the event stream to a listener; dispose to stop.
 */
export class LiveHistory implements IDisposable {
  constructor(
    private _stream: Event.Stream,
    private _listener: IHistoryListener
  ) {
    _stream.connect(this._onEvent, this);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (!this._isDisposed) {
      this._isDisposed = true;
      this._stream.disconnect(this._onEvent, this);
    }
  }

  private _onEvent(_: unknown, event: Event.Emission): void {
    if (event.schema_id !== HISTORY_EVENTS) {
      return;
    }
    const { path, action, state, label } = event as {
      path?: unknown;
      action?: unknown;
      state?: unknown;
      label?: unknown;
    };
    if (typeof path !== 'string') {
      return;
    }
    this._listener.historyChanged(path, {
      action: action as IHistoryChange['action'],
      state: typeof state === 'string' ? state : null,
      label: typeof label === 'string' ? label : null
    });
  }

  private _isDisposed = false;
}
