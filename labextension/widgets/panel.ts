/**
 * The "Notebook history" sidebar: the states of the active notebook, newest
 * first, as plain Lumino DOM (no React, to stay small).
 *
 * It reads `GET tree` for the notebook the tracker considers current, every
 * few seconds while visible and whenever the current notebook changes.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { APIError, getTree, NOT_INSTALLED_MESSAGE } from '../api';
import { branchIcon } from '../icons';
import { IState, ITree } from '../tokens';

/**
 * How often the panel refreshes while visible, in milliseconds.
 */
export const REFRESH_INTERVAL_MS = 3000;

/**
 * Fetches a notebook's tree; `getTree` unless a test substitutes it.
 */
export type TreeFetcher = (path: string) => Promise<ITree>;

/**
 * "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", or the date for
 * anything older than a week. Times in the future (clock skew) are "just now".
 */
export function relativeTime(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) {
    return iso;
  }
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < 5) {
    return 'just now';
  }
  if (seconds < 60) {
    return `${seconds} s ago`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.floor(hours / 24);
  if (days < 7) {
    return `${days} d ago`;
  }
  return new Date(then).toLocaleDateString();
}

/**
 * The sidebar listing the current notebook's history.
 */
export class HistoryPanel extends Widget {
  constructor(options: HistoryPanel.IOptions) {
    super();
    const trans = (options.translator ?? nullTranslator).load('jupyter-branch');
    this._trans = trans;
    this.id = 'jupyter-branch-history';
    this.addClass('jp-BranchPanel');
    this.title.icon = branchIcon;
    this.title.caption = trans.__('Notebook history');

    const settings = options.serverSettings;
    this._fetchTree = options.fetchTree ?? (path => getTree(path, settings));
    this._tracker = options.tracker;
    this._tracker.currentChanged.connect(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, this);

    const header = document.createElement('div');
    header.className = 'jp-BranchPanel-header';
    const title = document.createElement('h2');
    title.className = 'jp-BranchPanel-title';
    title.textContent = trans.__('Notebook history');
    this._notebookNode.className = 'jp-BranchPanel-notebook';
    header.append(title, this._notebookNode);
    this._messageNode.className = 'jp-BranchPanel-message';
    this._listNode.className = 'jp-BranchPanel-list';
    this.node.append(header, this._messageNode, this._listNode);
  }

  /**
   * Fetch and show the current notebook's states. Never rejects: failures are
   * shown in the panel.
   */
  async refresh(): Promise<void> {
    const path = this._tracker.currentWidget?.context.localPath ?? null;
    const request = ++this._request;
    if (path === null) {
      this._busy = false;
      this._show(null, this._trans.__('Open a notebook to see its history.'));
      return;
    }
    this._busy = true;
    try {
      const tree = await this._fetchTree(path);
      if (request === this._request) {
        this._show(tree, null);
      }
    } catch (error) {
      if (request === this._request) {
        // A 404 carrying the server's own message means "no history yet",
        // which is not an error; everything else is.
        const noHistory =
          error instanceof APIError &&
          error.status === 404 &&
          error.message !== NOT_INSTALLED_MESSAGE;
        this._show(null, (error as Error).message, !noHistory);
      }
    } finally {
      if (request === this._request) {
        this._busy = false;
        this._notebookNode.textContent = path;
        this._notebookNode.title = path;
      }
    }
  }

  dispose(): void {
    this._stopTimer();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    if (this.isVisible) {
      this._startTimer();
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopTimer();
  }

  protected onAfterShow(msg: Message): void {
    this._startTimer();
  }

  protected onAfterHide(msg: Message): void {
    this._stopTimer();
  }

  private _startTimer(): void {
    this._stopTimer();
    void this.refresh();
    this._timer = setInterval(() => {
      // A slow server must not pile up requests.
      if (!this._busy) {
        void this.refresh();
      }
    }, REFRESH_INTERVAL_MS);
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
  }

  private _show(
    tree: ITree | null,
    message: string | null,
    isError = false
  ): void {
    this._messageNode.textContent = message ?? '';
    this._messageNode.hidden = message === null;
    this._messageNode.classList.toggle('jp-mod-error', isError);
    if (tree === null) {
      this._notebookNode.textContent = '';
      this._listNode.replaceChildren();
      return;
    }
    if (tree.states.length === 0) {
      this._messageNode.textContent = this._trans.__('No states recorded yet.');
      this._messageNode.hidden = false;
    }
    const now = Date.now();
    const items = [...tree.states]
      .reverse()
      .map(state => this._renderState(state, state.id === tree.head, now));
    this._listNode.replaceChildren(...items);
  }

  private _renderState(
    state: IState,
    isHead: boolean,
    now: number
  ): HTMLElement {
    const item = document.createElement('li');
    item.className = 'jp-BranchPanel-state';
    item.dataset.stateId = state.id;
    item.title = `${state.id}\n${state.time}`;
    if (isHead) {
      item.classList.add('jp-mod-head');
    }

    const meta = document.createElement('div');
    meta.className = 'jp-BranchPanel-meta';
    const span = (className: string, text: string) => {
      const node = document.createElement('span');
      node.className = className;
      node.textContent = text;
      meta.append(node);
      return node;
    };
    span('jp-BranchPanel-event', state.label ?? state.event);
    span('jp-BranchPanel-time', relativeTime(state.time, now));
    if (state.cell_id) {
      span('jp-BranchPanel-cell', `cell ${state.cell_id.slice(0, 8)}`);
    }
    if (state.execution_count !== null) {
      span('jp-BranchPanel-count', `[${state.execution_count}]`);
    }
    if (state.status) {
      const status = span('jp-BranchPanel-status', state.status);
      status.classList.toggle('jp-mod-error', state.status === 'error');
    }

    const preview = document.createElement('div');
    preview.className = 'jp-BranchPanel-preview';
    preview.textContent = state.preview;
    item.append(meta, preview);
    return item;
  }

  private _busy = false;
  private _fetchTree: TreeFetcher;
  private _listNode = document.createElement('ol');
  private _messageNode = document.createElement('div');
  private _notebookNode = document.createElement('div');
  private _request = 0;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _tracker: INotebookTracker;
  private _trans: TranslationBundle;
}

export namespace HistoryPanel {
  export interface IOptions {
    tracker: INotebookTracker;
    serverSettings?: ServerConnection.ISettings;
    fetchTree?: TreeFetcher;
    translator?: ITranslator;
  }
}
