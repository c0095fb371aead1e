/**
 * Reports what the user sees in each open notebook to the server, so that
 * edits which were never executed or saved (and undo steps) still become
 * states in the history.
 *
 * One `DocumentReporter` watches the notebook tracker; each open notebook gets
 * a `NotebookWatcher` that decides *when* to send. What is sent is only cell
 * ids, types and sources; outputs are recorded on the server from the kernel.
 */

import {
  INotebookModel,
  INotebookTracker,
  Notebook,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import { postDocument } from './api';
import {
  CellType,
  IDocumentReply,
  IDocumentReport,
  IReportedCell,
  ReportReason
} from './tokens';

/**
 * The default idle delay before an edit is reported, in milliseconds.
 */
export const DEFAULT_DEBOUNCE_MS = 2000;

/**
 * Sends one report; `postDocument` unless a test substitutes it. The reason
 * is not sent: it tells a substitute why the report went out.
 */
export type ReportSender = (
  report: IDocumentReport,
  reason: ReportReason
) => Promise<IDocumentReply>;

/**
 * The part of a Yjs UndoManager used here. `ISharedCell` does not declare
 * `undoManager`, although every JupyterLab 4 cell model has one.
 */
interface IUndoEvents {
  on(
    name: 'stack-item-popped',
    handler: (event: { type: string }) => void
  ): void;
  off(
    name: 'stack-item-popped',
    handler: (event: { type: string }) => void
  ): void;
}

/**
 * The cells of a notebook model as they are reported.
 */
export function reportedCells(model: INotebookModel): IReportedCell[] {
  const cells: IReportedCell[] = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    cells.push({
      id: cell.id,
      cell_type: cell.type as CellType,
      source: cell.sharedModel.getSource()
    });
  }
  return cells;
}

/**
 * Watches every notebook the tracker knows and reports its cells.
 */
export class DocumentReporter implements IDisposable {
  constructor(options: DocumentReporter.IOptions) {
    this._debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    const settings = options.serverSettings;
    this._send = options.send ?? (report => postDocument(report, settings));
    this._tracker = options.tracker;
    this._tracker.widgetAdded.connect(this._onWidgetAdded, this);
    // Notebooks restored before the plugin activated.
    this._tracker.forEach(panel => this._onWidgetAdded(this._tracker, panel));
  }

  /**
   * The idle delay before an edit is reported, in milliseconds.
   */
  get debounceMs(): number {
    return this._debounceMs;
  }
  set debounceMs(value: number) {
    this._debounceMs = Math.max(0, value);
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._tracker.widgetAdded.disconnect(this._onWidgetAdded, this);
    this._watchers.forEach(watcher => watcher.dispose());
    this._watchers.clear();
  }

  /**
   * Report one notebook now (before a restore, say) and wait for the server.
   * Resolves false if the report could not be recorded.
   */
  flush(panel: NotebookPanel, reason: ReportReason): Promise<boolean> {
    const watcher = this._watchers.get(panel);
    return watcher ? watcher.flush(reason) : Promise.resolve(true);
  }

  /**
   * Send a report; the failure of one is logged once, never thrown.
   */
  async send(report: IDocumentReport, reason: ReportReason): Promise<boolean> {
    try {
      await this._send(report, reason);
      this._warned = false;
      return true;
    } catch (error) {
      if (!this._warned) {
        this._warned = true;
        console.warn(
          `jupyter-branch: could not record the notebook "${report.path}": ${(error as Error).message}`
        );
      }
      return false;
    }
  }

  private _onWidgetAdded(sender: INotebookTracker, panel: NotebookPanel): void {
    if (this._watchers.has(panel)) {
      return;
    }
    const watcher = new NotebookWatcher(panel, this);
    this._watchers.set(panel, watcher);
    panel.disposed.connect(() => {
      watcher.dispose();
      this._watchers.delete(panel);
    });
  }

  private _debounceMs: number;
  private _isDisposed = false;
  private _send: ReportSender;
  private _tracker: INotebookTracker;
  private _warned = false;
  private _watchers = new Map<NotebookPanel, NotebookWatcher>();
}

export namespace DocumentReporter {
  export interface IOptions {
    tracker: INotebookTracker;
    serverSettings?: ServerConnection.ISettings;
    debounceMs?: number;
    send?: ReportSender;
  }
}

/**
 * Decides when one notebook is reported: when it opens, after an idle delay
 * for edits, at once for executions, undo and save.
 */
class NotebookWatcher implements IDisposable {
  constructor(
    private _panel: NotebookPanel,
    private _reporter: DocumentReporter
  ) {
    NotebookActions.executionScheduled.connect(
      this._onExecutionScheduled,
      this
    );
    void _panel.context.ready.then(() => this._start());
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    // An edit still waiting for the idle delay is sent while the model exists.
    if (this._timer !== null && this._model && !this._model.isDisposed) {
      void this.flush('idle');
    }
    this._isDisposed = true;
    this._cancelTimer();
    // Disconnects every signal connected with this watcher as receiver.
    Signal.clearData(this);
    this._undoManagers.forEach(manager =>
      manager.off('stack-item-popped', this._onUndo)
    );
    this._undoManagers.clear();
  }

  /**
   * Report now, cancelling any pending idle report. Callers that must not be
   * held up (execution) ignore the promise; it resolves once the server
   * answered (true) or the report failed (false).
   */
  flush(reason: ReportReason): Promise<boolean> {
    this._cancelTimer();
    const model = this._model;
    if (this._isDisposed || !model || model.isDisposed) {
      return Promise.resolve(true);
    }
    const cells = reportedCells(model);
    const key = JSON.stringify(cells);
    if (key === this._lastSent) {
      return this._inFlight ?? Promise.resolve(true);
    }
    this._lastSent = key;
    const path = this._panel.context.localPath;
    const sent = this._reporter.send({ path, cells }, reason).then(ok => {
      // Let the next trigger retry, unless something newer went out since.
      if (!ok && this._lastSent === key) {
        this._lastSent = null;
      }
      return ok;
    });
    this._inFlight = sent;
    return sent;
  }

  private _start(): void {
    if (this._isDisposed) {
      return;
    }
    const context = this._panel.context;
    this._model = context.model;
    this._model.contentChanged.connect(this._schedule, this);
    this._model.cells.changed.connect(this._watchUndo, this);
    // Reports read the path when sent; after a rename, send the next report
    // even if the cells are unchanged, so the server sees the new path.
    context.pathChanged.connect(() => {
      this._lastSent = null;
    }, this);
    context.saveState.connect((_, state) => {
      if (state === 'started') {
        void this.flush('save');
      }
    }, this);
    this._watchUndo();
    // Tell the server at once what is open: the cells carry this browser's ids,
    // which its runs will name (a new notebook's first cell exists only here).
    void this.flush('open');
  }

  private _schedule(): void {
    this._cancelTimer();
    this._timer = setTimeout(
      () => void this.flush('idle'),
      this._reporter.debounceMs
    );
  }

  private _cancelTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _onExecutionScheduled(
    _: unknown,
    args: { notebook: Notebook }
  ): void {
    if (args.notebook === this._panel.content) {
      void this.flush('execute');
    }
  }

  /**
   * Listen to the undo managers of the notebook and of every cell. Several
   * cells share one manager when document-wide undo is on; cells that were
   * deleted or moved leave theirs behind, which are let go here.
   */
  private _watchUndo(): void {
    const model = this._model;
    if (!model || this._isDisposed) {
      return;
    }
    const current = new Set<IUndoEvents>();
    const add = (owner: unknown) => {
      const manager = (owner as { undoManager?: IUndoEvents | null })
        .undoManager;
      if (manager) {
        current.add(manager);
      }
    };
    add(model.sharedModel);
    for (let i = 0; i < model.cells.length; i++) {
      add(model.cells.get(i).sharedModel);
    }
    this._undoManagers.forEach(manager => {
      if (!current.has(manager)) {
        manager.off('stack-item-popped', this._onUndo);
      }
    });
    current.forEach(manager => {
      if (!this._undoManagers.has(manager)) {
        manager.on('stack-item-popped', this._onUndo);
      }
    });
    this._undoManagers = current;
  }

  private _onUndo = (event: { type: string }): void => {
    if (event.type === 'undo') {
      // Older Yjs versions, and undo run inside an outer transaction, emit
      // this before the model has seen the change; a 0 ms delay lets it land.
      setTimeout(() => void this.flush('undo'), 0);
    }
  };

  private _inFlight: Promise<boolean> | null = null;
  private _isDisposed = false;
  private _lastSent: string | null = null;
  private _model: INotebookModel | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _undoManagers = new Set<IUndoEvents>();
}
