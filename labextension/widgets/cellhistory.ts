/**
 * Every version of the notebook's active cell, newest first, each with its
 * outputs rendered as Jupyter renders them (untrusted) and a way to bring it
 * back into the notebook.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { getCellHistory } from '../api';
import { previousRun } from '../compare';
import { CommandIDs, ICellHistory } from '../tokens';
import { VersionPicks } from './comparepicks';
import { renderCell } from './outputs';
import { formatDuration, relativeTime } from './timeline';

/** Versions asked for at a time: the newest first, older ones on request. */
const PAGE = 100;

export class CellHistoryView extends Panel {
  constructor(private _options: CellHistoryView.IOptions) {
    super();
    this.addClass('jp-BranchCellHistory');
    this._heading.addClass('jp-BranchCellHistory-heading');
    this.addWidget(this._heading);
    this._picks = new VersionPicks(_options.trans, (a, b) => {
      const [path, cell] = this._cell.split('\n');
      void _options.commands.execute(CommandIDs.compareRuns, {
        path,
        cell,
        a,
        b
      });
    });
    this.addWidget(this._picks);
    this.addWidget(this._list);
    _options.tracker.activeCellChanged.connect(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, this);
  }

  /** Load the versions of the active cell (if it changed or has new ones). */
  async refresh(): Promise<void> {
    const notebook = this._options.tracker.currentWidget;
    const cell = this._options.tracker.activeCell;
    const trans = this._options.trans;
    if (!notebook || !cell) {
      this._show(
        trans.__('Select a cell in a notebook to see all its versions.')
      );
      return;
    }
    const path = notebook.context.localPath;
    const cellId = cell.model.id;
    if (`${path}\n${cellId}` !== this._cell) {
      this._cell = `${path}\n${cellId}`;
      this._limit = PAGE; // another cell: its newest versions first
      this._picks.reset();
    }
    const request = ++this._request;
    let history: ICellHistory;
    try {
      history = await getCellHistory(
        path,
        cellId,
        this._options.serverSettings,
        this._limit
      );
    } catch (error) {
      if (request === this._request) {
        this._show((error as Error).message, true);
      }
      return;
    }
    if (request !== this._request) {
      return;
    }
    const key = `${path}\n${cellId}\n${history.total}\n${history.versions.map(v => v.state.id).join(',')}`;
    if (key === this._shown) {
      return;
    }
    this._shown = key;
    this._render(path, history);
  }

  private _show(message: string, isError = false): void {
    this._shown = null;
    this._heading.node.textContent = message;
    this._heading.node.classList.toggle('jp-mod-error', isError);
    this._clear();
  }

  private _clear(): void {
    for (const widget of [...this._list.widgets]) {
      widget.dispose();
    }
  }

  private _render(path: string, history: ICellHistory): void {
    const trans = this._options.trans;
    const n = history.versions.length;
    const total = Math.max(history.total, n);
    // the cell as the user knows it: its place in the notebook, not its id
    const cells = this._options.tracker.currentWidget?.content.widgets ?? [];
    const place = cells.findIndex(c => c.model.id === history.cell_id) + 1;
    this._heading.node.title = trans.__('cell id %1', history.cell_id);
    this._heading.node.classList.remove('jp-mod-error');
    this._heading.node.textContent =
      n === 0
        ? trans.__('This cell has no recorded versions yet.')
        : n < total
          ? trans.__('Newest %1 of %2 versions of cell %3', n, total, place)
          : trans._n(
              '%1 version of cell %2',
              '%1 versions of cell %2',
              n,
              place
            );
    this._clear();
    this._picks.forgetBoxes();
    const now = Date.now();
    history.versions.forEach(({ state, cell }, i) => {
      const item = new Panel();
      item.addClass('jp-BranchVersion');
      item.node.dataset.stateId = state.id;
      item.node.dataset.event = state.event;
      const head = new Widget();
      head.addClass('jp-BranchVersion-head');
      const what = document.createElement('span');
      what.className = 'jp-BranchVersion-what';
      const status =
        state.status && state.status !== 'ok' ? ` · ${state.status}` : '';
      const duration =
        state.duration_ms !== null
          ? ` · ${formatDuration(state.duration_ms)}`
          : '';
      what.textContent = `${i === 0 ? trans.__('latest') + ' · ' : ''}${state.event} · ${relativeTime(state.time, now)}${status}${duration}`;
      what.title = `${state.id}\n${new Date(state.time).toLocaleString()}`;
      const restore = document.createElement('button');
      restore.className = 'jp-BranchPanel-action';
      restore.textContent = trans.__('Restore this version');
      restore.addEventListener('click', () => {
        void this._options.commands.execute(CommandIDs.restoreCell, {
          state: state.id,
          cell: cell.id,
          path
        });
      });
      const open = document.createElement('button');
      open.className = 'jp-BranchPanel-action';
      open.textContent = trans.__('Open state');
      open.addEventListener('click', () => {
        void this._options.commands.execute(CommandIDs.openState, {
          state: state.id,
          path,
          cell: cell.id
        });
      });
      head.node.append(what, this._picks.checkbox(state.id));
      const previous = previousRun(history.versions, i);
      if (previous !== null) {
        const compare = document.createElement('button');
        compare.className = 'jp-BranchPanel-action';
        compare.dataset.command = CommandIDs.compareRuns;
        compare.textContent = trans.__('Compare with previous run');
        compare.addEventListener('click', () => {
          void this._options.commands.execute(CommandIDs.compareRuns, {
            path,
            cell: cell.id,
            a: history.versions[previous].state.id,
            b: state.id
          });
        });
        head.node.append(compare);
      }
      head.node.append(open, restore);
      item.addWidget(head);
      // An edit changes the source only: the outputs the cell still showed
      // belong to an earlier run and are shown with that run, not again here.
      const edited = state.event === 'edit' && cell.cell_type === 'code';
      item.addWidget(
        renderCell(cell, this._options.rendermime, { outputs: !edited })
      );
      if (edited) {
        const note = new Widget();
        note.addClass('jp-BranchVersion-note');
        note.node.textContent = trans.__('Edited, not run');
        item.addWidget(note);
      }
      this._list.addWidget(item);
    });
    if (n < total) {
      const more = new Widget({ node: document.createElement('button') });
      more.addClass('jp-BranchPanel-action');
      more.addClass('jp-BranchCellHistory-more');
      more.node.textContent = trans.__(
        'Show older versions (%1 more)',
        total - n
      );
      more.node.addEventListener('click', () => {
        this._limit += PAGE;
        void this.refresh();
      });
      this._list.addWidget(more);
    }
  }

  private _cell = '';
  private _limit = PAGE;
  private _heading = new Widget();
  private _list = new Panel();
  private _picks: VersionPicks;
  private _request = 0;
  private _shown: string | null = null;
}

export namespace CellHistoryView {
  export interface IOptions {
    tracker: INotebookTracker;
    rendermime: IRenderMimeRegistry;
    commands: CommandRegistry;
    trans: TranslationBundle;
    serverSettings?: ServerConnection.ISettings;
  }
}
