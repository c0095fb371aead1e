/**
 * Back from a closed tab: when a notebook opens, the runs that finished after
 * its outputs were last seen (the tab was closed, the browser crashed, the
 * laptop slept) are found in its history, said in a notice, and brought into
 * the document with one click, as one undo step.
 *
 * "Finished after last seen" is decided on what the server recorded, not on
 * any clock of the browser's: a code cell of the document whose Head version
 * has the same source but other outputs or execution count, given to it by an
 * `execute` state of that cell (on Head's branch, after any save) that ended
 * after the file was last saved (`contentsModel.last_modified`; both times are
 * the server's).
 */

import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { getState, getTree } from './api';
import { HistoryGraph } from './model';
import { DocumentReporter } from './reporter';
import { applyOutputs } from './restore';
import { IOutput, IState, IStateDetail } from './tokens';

/** A `since` past every state: `GET tree` then answers Head and no states. */
const NO_STATES = 2147483647;

/**
 * A code cell of the open document, as the rule reads it.
 */
export interface IDocumentCodeCell {
  id: string;
  cell_type: string;
  source: string;
  outputs?: unknown[];
  execution_count?: number | null;
}

/**
 * A run whose outputs the document has not seen: the cell, its place, the
 * state that made the outputs, and what to bring back.
 */
export interface IUnseenRun {
  cellId: string;
  /** The cell's place in the document, from 0. */
  index: number;
  state: IState;
  source: string;
  outputs: IOutput[];
  executionCount: number | null;
}

/**
 * What a user sees of outputs (types, texts, data, errors), as one string:
 * equal for outputs that look the same, whatever shape (a text as one string
 * or a list of lines) and metadata they came in.
 */
export function outputsKey(outputs: readonly unknown[] | undefined): string {
  const text = (value: unknown): unknown =>
    Array.isArray(value) ? value.join('') : value;
  return JSON.stringify(
    (outputs ?? []).map(raw => {
      const o = raw as Record<string, unknown>;
      const data = (o.data ?? {}) as Record<string, unknown>;
      return [
        o.output_type,
        o.name ?? null,
        text(o.text) ?? null,
        Object.keys(data)
          .sort()
          .map(mime => [mime, text(data[mime])]),
        o.ename ?? null,
        o.evalue ?? null
      ];
    })
  );
}

/**
 * The runs of `branch` (Head's branch, newest first) whose outputs the
 * document's cells lack: see the module's comment for the rule. `lastSaved` is
 * the file's last save (ms since the epoch); without it nothing is claimed.
 */
export function findUnseenRuns(
  cells: readonly IDocumentCodeCell[],
  head: IStateDetail,
  branch: readonly IState[],
  lastSaved: number | null
): IUnseenRun[] {
  if (lastSaved === null || Number.isNaN(lastSaved)) {
    return [];
  }
  const headCells = new Map(head.cells.map(c => [c.id, c]));
  const found: IUnseenRun[] = [];
  cells.forEach((cell, index) => {
    const recorded = headCells.get(cell.id);
    if (!recorded || !differsInOutputs(cell, recorded)) {
      return;
    }
    const count = recorded.execution_count ?? null;
    const made = lastOutputsOf(cell.id, branch);
    if (made && Date.parse(made.time) > lastSaved) {
      found.push({
        cellId: cell.id,
        index,
        state: made,
        source: recorded.source,
        outputs: recorded.outputs ?? [],
        executionCount: count
      });
    }
  });
  return found;
}

/**
 * Whether Head's version of a code cell has the document's source but other
 * outputs or another execution count: the only cells a run may have changed
 * unseen.
 */
export function differsInOutputs(
  cell: IDocumentCodeCell,
  recorded: IStateDetail['cells'][number]
): boolean {
  return (
    cell.cell_type === 'code' &&
    recorded.cell_type === 'code' &&
    recorded.source === cell.source &&
    ((recorded.execution_count ?? null) !== (cell.execution_count ?? null) ||
      outputsKey(recorded.outputs) !== outputsKey(cell.outputs))
  );
}

/**
 * The `execute` state that gave cell `cellId` its outputs on `branch` (newest
 * first), or null when they came from elsewhere (a save, a file changed on
 * disk, a restore) or from no run at all.
 */
function lastOutputsOf(
  cellId: string,
  branch: readonly IState[]
): IState | null {
  for (const state of branch) {
    if (state.event === 'execute' && state.cell_id === cellId) {
      return state;
    }
    if (
      state.event === 'save' ||
      state.event === 'external' ||
      (state.event === 'restore' &&
        (state.cell_id === null || state.cell_id === cellId))
    ) {
      return null;
    }
  }
  return null;
}

/**
 * The cells of an open notebook, as `findUnseenRuns` reads them.
 */
export function documentCells(panel: NotebookPanel): IDocumentCodeCell[] {
  const model = panel.content.model;
  if (!model) {
    return [];
  }
  const json = model.toJSON() as unknown as { cells: IDocumentCodeCell[] };
  return json.cells.map(c => ({
    ...c,
    source: Array.isArray(c.source) ? c.source.join('') : c.source
  }));
}

/**
 * Checks each notebook as it opens and keeps what it found until the user
 * brings the outputs back or dismisses the notice.
 */
export class CatchUp implements IDisposable {
  constructor(options: CatchUp.IOptions) {
    this._reporter = options.reporter;
    this._settings = options.serverSettings;
    this._tracker = options.tracker;
    this._tracker.widgetAdded.connect((_, panel) => this._watch(panel), this);
    // notebooks restored with the page, before this plugin activated
    this._tracker.forEach(panel => this._watch(panel));
  }

  /** Emitted when a notebook's unseen runs were found, brought back or dismissed. */
  get changed(): ISignal<this, NotebookPanel> {
    return this._changed;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** The unseen runs found in `panel` (none once brought back or dismissed). */
  unseen(panel: NotebookPanel | null): IUnseenRun[] {
    return (panel && this._found.get(panel)) || [];
  }

  /**
   * Put the unseen runs' outputs and execution counts into the document, as
   * one undo step; cells the user changed since are left alone. Returns how
   * many cells got their outputs back; throws if cells are running.
   */
  bringBack(panel: NotebookPanel): number {
    const runs = this.unseen(panel);
    const applied = applyOutputs(
      panel,
      runs.map(r => ({
        id: r.cellId,
        source: r.source,
        outputs: r.outputs,
        execution_count: r.executionCount
      }))
    );
    this.dismiss(panel);
    return applied;
  }

  dismiss(panel: NotebookPanel): void {
    if (this._found.delete(panel)) {
      this._changed.emit(panel);
    }
  }

  dispose(): void {
    if (!this._isDisposed) {
      this._isDisposed = true;
      Signal.clearData(this);
      this._found.clear();
    }
  }

  private _watch(panel: NotebookPanel): void {
    if (this._watched.has(panel)) {
      return;
    }
    this._watched.add(panel);
    panel.disposed.connect(() => {
      this._watched.delete(panel);
      this.dismiss(panel);
    });
    void this._check(panel);
  }

  private async _check(panel: NotebookPanel): Promise<void> {
    try {
      await panel.context.ready;
      // the open report may move Head (the file holds earlier sources): wait for it
      await this._reporter.flush(panel, 'open');
      if (panel.isDisposed) {
        return;
      }
      const path = panel.context.localPath;
      const lastSaved = panel.context.contentsModel?.last_modified;
      // Head alone first (no states after the last possible seq): most notebooks
      // open with their outputs as recorded, and need no more than that
      const top = await getTree(path, this._settings, NO_STATES);
      if (!top.head || !lastSaved || panel.isDisposed) {
        return;
      }
      const head = await getState(path, top.head, this._settings);
      const cells = documentCells(panel);
      const byId = new Map(head.cells.map(c => [c.id, c]));
      if (
        !cells.some(c => byId.has(c.id) && differsInOutputs(c, byId.get(c.id)!))
      ) {
        return;
      }
      const tree = await getTree(path, this._settings);
      const runs = findUnseenRuns(
        cells,
        head,
        new HistoryGraph(tree).branch(head.id),
        Date.parse(lastSaved)
      );
      if (runs.length > 0 && !panel.isDisposed) {
        this._found.set(panel, runs);
        this._changed.emit(panel);
      }
    } catch (error) {
      // no history, no server extension: nothing to bring back
      console.debug('jupyter-branch: no check for unseen runs:', error);
    }
  }

  private _changed = new Signal<this, NotebookPanel>(this);
  private _found = new Map<NotebookPanel, IUnseenRun[]>();
  private _isDisposed = false;
  private _reporter: DocumentReporter;
  private _settings: ServerConnection.ISettings | undefined;
  private _tracker: INotebookTracker;
  private _watched = new Set<NotebookPanel>();
}

export namespace CatchUp {
  export interface IOptions {
    tracker: INotebookTracker;
    reporter: DocumentReporter;
    serverSettings?: ServerConnection.ISettings;
  }
}
