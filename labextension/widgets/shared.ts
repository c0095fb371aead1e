/**
 * The "Shared" view of the history panel: histories other users shared with
 * this user, read-only. A list (owner, notebook, states, last activity); one
 * chosen shows its timeline, and its states can be opened, compared with one
 * another and exported, never restored or labelled: it is not the user's.
 */

import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Menu, Panel, Widget } from '@lumino/widgets';

import { getNotebooks, getTree } from '../api';
import { HistoryModel, ITimelineRow } from '../model';
import {
  CommandIDs,
  INotebooks,
  INotebookSummary,
  IState,
  ITree
} from '../tokens';
import { renderBranchBanner, renderStateDetails } from './details';
import {
  openBranchMenu,
  relativeTime,
  RowRenderer,
  VirtualList
} from './timeline';

/**
 * Where the view reads: `GET notebooks`, and `GET tree` of a shared history.
 */
export interface ISharedSource {
  notebooks(): Promise<INotebooks>;
  tree(owner: string, path: string, since: number): Promise<ITree>;
}

/**
 * The history the commands act on by default: the active notebook's, or in
 * the Shared tab the shared one on screen (`owner` is then its owner's).
 */
export interface IShownHistory {
  path: string | null;
  owner: string | null;
  state: string | null;
}

/** "shared by bob". */
export function sharedBy(owner: string, trans: TranslationBundle): string {
  return trans.__('shared by %1', owner);
}

export class SharedView extends Panel {
  constructor(options: SharedView.IOptions) {
    super();
    const settings = options.serverSettings;
    this._options = {
      commands: options.commands,
      trans: options.trans,
      source: options.source ?? {
        notebooks: () => getNotebooks(settings),
        tree: (owner, path, since) => getTree(path, settings, since, owner)
      }
    };
    const trans = options.trans;
    this.addClass('jp-BranchShared');
    this._list.addClass('jp-BranchShared-list');
    this._history.addClass('jp-BranchShared-history');
    this._head.addClass('jp-BranchShared-head');
    this._details.addClass('jp-BranchPanel-details');
    this._rows = new RowRenderer(trans);
    this._timeline = new VirtualList<ITimelineRow>(48, this._rows.timelineRow);
    this._rows.selected.connect((_, state) => this.select(state.id));
    this._rows.opened.connect((_, state) => {
      this.select(state.id);
      this._run(CommandIDs.openState, state.id);
    });
    this._rows.branchesRequested.connect((_, { row, anchor }) => {
      const graph = this._model?.graph;
      if (graph) {
        this._menu?.dispose();
        this._menu = openBranchMenu(graph, row, anchor, tip => {
          this._model!.viewTip = tip.id;
          this.select(tip.id);
        });
      }
    });
    this._history.addWidget(this._head);
    this._history.addWidget(this._timeline);
    this._history.addWidget(this._details);
    this.addWidget(this._list);
    this.addWidget(this._history);
    this._renderList();
    this._renderHistory();
  }

  /** The histories shared with this user, as last loaded. */
  get histories(): readonly INotebookSummary[] {
    return this._histories;
  }

  /** The shared history on screen, or null while the list is. */
  get current(): INotebookSummary | null {
    return this._current;
  }

  /** The selected state of the history on screen. */
  get selected(): IState | null {
    const id = this._rows.selectedId;
    return (id && this._model?.graph?.get(id)) || null;
  }

  /** The shared history on screen and its selected state. */
  get shown(): IShownHistory {
    return {
      path: this._current?.path ?? null,
      owner: this._current?.owner ?? null,
      state: this.selected?.id ?? null
    };
  }

  /** The list was loaded (it may hold more or fewer histories). */
  get listChanged(): ISignal<this, void> {
    return this._listChanged;
  }

  /** Who this user is (`store.owner` of `GET info`), for the empty list. */
  set me(value: string | null) {
    this._me = value;
    this._renderList();
  }

  /** Load the list of shared histories. Never rejects. */
  async load(): Promise<void> {
    try {
      const { notebooks } = await this._options.source.notebooks();
      this._histories = notebooks.filter(n => n.shared);
      this._error = null;
    } catch (error) {
      this._error = (error as Error).message;
    }
    if (this.isDisposed) {
      return;
    }
    this._renderList();
    this._listChanged.emit();
  }

  /** Show one shared history (its timeline), or the list with null. */
  async open(history: INotebookSummary | null): Promise<void> {
    this._current = history;
    this._rows.selectedId = null;
    this._model?.changed.disconnect(this._renderHistory, this);
    this._model = null;
    if (history) {
      const owner = history.owner;
      const source = this._options.source;
      this._model = new HistoryModel((p, since) =>
        source.tree(owner, p, since)
      );
      this._model.changed.connect(this._renderHistory, this);
    }
    this._renderHistory();
    this._options.commands.notifyCommandChanged();
    if (history) {
      await this._model?.setPath(history.path);
    }
  }

  /** Fetch the new states of the history on screen. Never rejects. */
  async refresh(): Promise<void> {
    await this._model?.refresh();
  }

  select(id: string | null): void {
    this._rows.selectedId = id;
    this._timeline.repaint();
    this._renderDetails();
    this._options.commands.notifyCommandChanged();
  }

  dispose(): void {
    this._menu?.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this._timeline.repaint();
  }

  private _renderList(): void {
    const trans = this._options.trans;
    const node = this._list.node;
    const heading = div('jp-BranchShared-heading', trans.__('Shared with me'));
    const note = div(
      'jp-BranchShared-note',
      trans.__(
        "Other users' notebook histories, read-only: open, compare and export their states."
      )
    );
    node.replaceChildren(heading, note);
    if (this._error) {
      const error = div('jp-BranchShared-status', this._error);
      error.classList.add('jp-mod-error');
      node.append(error);
      return;
    }
    if (this._histories.length === 0) {
      node.append(
        div(
          'jp-BranchShared-status',
          trans.__(
            'No history is shared with you yet. Its owner can share one with: jupyter branch share NOTEBOOK --with %1',
            this._me ?? 'YOUR_NAME'
          )
        )
      );
      return;
    }
    const now = Date.now();
    for (const history of this._histories) {
      const item = document.createElement('button');
      item.className = 'jp-BranchShared-item';
      item.dataset.owner = history.owner;
      item.dataset.path = history.path;
      item.title = history.path;
      const meta = [
        sharedBy(history.owner, trans),
        trans._n('%1 state', '%1 states', history.states)
      ];
      if (history.last) {
        meta.push(relativeTime(history.last, now));
      }
      if (history.deleted) {
        meta.push(trans.__('deleted'));
      }
      item.append(
        div('jp-BranchShared-name', baseName(history.path)),
        div('jp-BranchShared-meta', meta.join(' · '))
      );
      item.addEventListener('click', () => void this.open(history));
      node.append(item);
    }
  }

  private _renderHistory(): void {
    const trans = this._options.trans;
    const history = this._current;
    this._list.setHidden(history !== null);
    this._history.setHidden(history === null);
    if (!history || !this._model) {
      return;
    }
    const model = this._model;
    const graph = model.graph;
    this._rows.now = Date.now();
    const back = document.createElement('button');
    back.className = 'jp-BranchPanel-link jp-BranchShared-back';
    back.textContent = trans.__('‹ Shared with me');
    back.addEventListener('click', () => void this.open(null));
    const title = div('jp-BranchShared-name', baseName(history.path));
    title.title = history.path;
    const owner = div(
      'jp-BranchShared-owner',
      `${sharedBy(history.owner, trans)} · ${trans.__('read-only')}`
    );
    this._head.node.replaceChildren(back, title, owner);

    const rows = graph ? graph.timeline(model.viewTip) : [];
    if (graph && model.viewTip !== null && !rows.some(r => r.isHead)) {
      const banner = div('jp-BranchPanel-banner', '');
      renderBranchBanner(banner, trans, () => (model.viewTip = null));
      this._head.node.append(banner);
    }
    let status: string | null = null;
    if (model.error) {
      status = model.error;
    } else if (!graph) {
      status = trans.__('Loading…');
    } else if (graph.states.length === 0) {
      status = trans.__(
        'No states: this history is empty, or no longer shared with you.'
      );
    }
    if (status !== null) {
      const line = div('jp-BranchShared-status', status);
      line.classList.toggle('jp-mod-error', model.error !== null);
      this._head.node.append(line);
    }
    this._timeline.setItems(rows);
    this._renderDetails();
  }

  private _renderDetails(): void {
    const state = this.selected;
    const history = this._current;
    this._details.setHidden(state === null);
    if (!state || !history) {
      this._details.node.replaceChildren();
      return;
    }
    // only reads: a shared history is never restored or labelled here
    const trans = this._options.trans;
    renderStateDetails(
      this._details.node,
      state,
      [
        [CommandIDs.openState, trans.__('Open')],
        [CommandIDs.diffStates, trans.__('Diff with…')],
        [CommandIDs.exportState, trans.__('Export')]
      ],
      this._options.commands,
      { state: state.id, path: history.path, owner: history.owner },
      sharedBy(history.owner, trans)
    );
  }

  private _run(command: string, state: string): void {
    const history = this._current;
    if (history) {
      void this._options.commands.execute(command, {
        state,
        path: history.path,
        owner: history.owner
      });
    }
  }

  private _current: INotebookSummary | null = null;
  private _options: Required<Omit<SharedView.IOptions, 'serverSettings'>>;
  private _details = new Widget();
  private _error: string | null = null;
  private _head = new Widget();
  private _histories: INotebookSummary[] = [];
  private _history = new Panel();
  private _list = new Widget();
  private _listChanged = new Signal<this, void>(this);
  private _me: string | null = null;
  private _menu: Menu | null = null;
  private _model: HistoryModel | null = null;
  private _rows: RowRenderer;
  private _timeline: VirtualList<ITimelineRow>;
}

export namespace SharedView {
  export interface IOptions {
    /** Where to read; by default the REST API with `serverSettings`. */
    source?: ISharedSource;
    serverSettings?: ServerConnection.ISettings;
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}

function baseName(path: string): string {
  return path.split('/').pop() || path;
}

function div(className: string, text: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  node.textContent = text;
  return node;
}
