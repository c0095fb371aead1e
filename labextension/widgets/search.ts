/**
 * Searching the active notebook's history: code, markdown and text outputs.
 * A match opens the state it belongs to, scrolled to the cell.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { getSearch } from '../api';
import { CommandIDs, ISearchMatch } from '../tokens';
import { cellName, eventLabel } from './rowtext';
import { relativeTime } from './timeline';

export class SearchView extends Widget {
  constructor(private _options: SearchView.IOptions) {
    super();
    this.addClass('jp-BranchSearch');
    this._input.type = 'search';
    this._input.className = 'jp-BranchSearch-input';
    this._input.placeholder = _options.trans.__(
      'Search code, markdown and outputs'
    );
    this._input.addEventListener('keydown', event => {
      if (event.key === 'Enter') {
        void this.search(this._input.value);
      }
    });
    this._status.className = 'jp-BranchSearch-status';
    this._results.className = 'jp-BranchSearch-results';
    this.node.append(this._input, this._status, this._results);
  }

  focusInput(): void {
    requestAnimationFrame(() => this._input.focus());
  }

  /** Run a search in the active notebook's history; never rejects. */
  async search(query: string): Promise<void> {
    const trans = this._options.trans;
    const path = this._options.tracker.currentWidget?.context.localPath;
    this._input.value = query;
    if (!path || !query.trim()) {
      this._status.textContent = path
        ? ''
        : trans.__('Open a notebook to search its history.');
      this._results.replaceChildren();
      return;
    }
    this._status.textContent = trans.__('Searching…');
    let matches: ISearchMatch[];
    try {
      matches = (await getSearch(path, query, this._options.serverSettings))
        .matches;
    } catch (error) {
      this._status.textContent = (error as Error).message;
      this._status.classList.add('jp-mod-error');
      return;
    }
    this._status.classList.remove('jp-mod-error');
    this._status.textContent = trans._n(
      '%1 match',
      '%1 matches',
      matches.length
    );
    const now = Date.now();
    this._results.replaceChildren(
      ...matches.map(match => {
        const item = document.createElement('button');
        item.className = 'jp-BranchSearch-result';
        item.dataset.stateId = match.state.id;
        const meta = document.createElement('div');
        meta.className = 'jp-BranchSearch-meta';
        // the cell by its place, where the state says it (never by its id)
        const cell =
          match.state.cell_id === match.cell_id
            ? cellName(match.state, trans)
            : null;
        meta.textContent = [
          eventLabel(match.state.event, trans),
          relativeTime(match.state.time, now),
          cell,
          match.where
        ]
          .filter(part => part)
          .join(' · ');
        item.dataset.cellId = match.cell_id;
        const snippet = document.createElement('div');
        snippet.className = 'jp-BranchSearch-snippet';
        snippet.textContent = match.snippet;
        item.append(meta, snippet);
        item.addEventListener('click', () => {
          void this._options.commands.execute(CommandIDs.openState, {
            state: match.state.id,
            path,
            cell: match.cell_id
          });
        });
        return item;
      })
    );
  }

  private _input = document.createElement('input');
  private _results = document.createElement('div');
  private _status = document.createElement('div');
}

export namespace SearchView {
  export interface IOptions {
    tracker: INotebookTracker;
    commands: CommandRegistry;
    trans: TranslationBundle;
    serverSettings?: ServerConnection.ISettings;
  }
}
