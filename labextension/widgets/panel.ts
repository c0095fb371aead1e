/**
 * The "Notebook history" sidebar: for the active notebook, its current branch
 * as a timeline (or all branches as a compact tree), the versions of the
 * selected cell, and search; the selected state's actions; storage used.
 * When other users shared histories with this user, a "Shared" tab lists them
 * (read-only, `SharedView`).
 *
 * It owns layout and user interaction only: data comes from `HistoryModel`,
 * actions run as commands (`CommandIDs`) so menus and the palette share them.
 */

import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Menu, Panel, StackedPanel, Widget } from '@lumino/widgets';

import { getInfo, getTree } from '../api';
import { branchIcon } from '../icons';
import { IHistoryChange, IHistoryListener } from '../live';
import { HistoryModel, ITimelineRow, ITreeRow } from '../model';
import { CommandIDs, IInfo, IState, ITree } from '../tokens';
import { CellHistoryView } from './cellhistory';
import { renderBranchBanner, renderStateDetails } from './details';
import { SearchView } from './search';
import { IShownHistory, ISharedSource, SharedView } from './shared';
import { storageLine } from './storage';
import { openBranchMenu, RowRenderer, VirtualList } from './timeline';
import { TimelineView } from './timelineview';

/** How often the panel asks for new states while visible, in milliseconds. */
export const REFRESH_INTERVAL_MS = 2000;

/**
 * The polling interval while the live socket is open (live.ts): a fallback
 * only.
 */
export const FALLBACK_INTERVAL_MS = 15000;

type View = 'timeline' | 'tree' | 'cell' | 'search' | 'shared';

/**
 * What the panel asks of its live socket (`LiveHistory`): open it while the
 * panel is visible.
 */
export interface ILiveSocket {
  watch(on: boolean): void;
  dispose(): void;
}

export class HistoryPanel extends Panel implements IHistoryListener {
  constructor(options: HistoryPanel.IOptions) {
    super();
    this._liveSocket = options.connectLive?.(this) ?? null;
    this.id = 'jupyter-branch-history';
    this.addClass('jp-BranchPanel');
    this.title.icon = branchIcon;
    this.title.caption = options.trans.__('Notebook history');
    this._trans = options.trans;
    this._rows = new RowRenderer(options.trans, options.currentUser);
    this._commands = options.commands;
    this._tracker = options.tracker;
    const settings = options.serverSettings;
    this._fetchInfo = options.fetchInfo ?? (() => getInfo(settings));
    this.model = new HistoryModel(
      options.fetchTree ?? ((path, since) => getTree(path, settings, since))
    );
    this.model.changed.connect(this._update, this);

    this._timeline = new TimelineView({
      model: this.model,
      trans: options.trans,
      render: this._rows.timelineRow
    });
    this._tree = new VirtualList<ITreeRow>(28, (row, i) =>
      this._rows.treeRow(row, i)
    );
    this._cell = new CellHistoryView({
      tracker: options.tracker,
      rendermime: options.rendermime,
      commands: options.commands,
      serverSettings: settings,
      trans: options.trans
    });
    this._search = new SearchView({
      tracker: options.tracker,
      commands: options.commands,
      serverSettings: settings,
      trans: options.trans
    });
    this._shared = new SharedView({
      source: options.shared,
      serverSettings: settings,
      commands: options.commands,
      trans: options.trans
    });
    this._shared.listChanged.connect(this._showSharedTab, this);
    this._stack.addClass('jp-BranchPanel-stack');
    const views = [this._timeline, this._tree, this._cell, this._search];
    for (const view of [...views, this._shared]) {
      this._stack.addWidget(view);
    }
    this.addWidget(this._header());
    this.addWidget(this._message);
    this.addWidget(this._stack);
    this.addWidget(this._details);
    this.addWidget(this._footer);
    this._message.addClass('jp-BranchPanel-message');
    this._details.addClass('jp-BranchPanel-details');
    this._footer.addClass('jp-BranchPanel-footer');

    this._rows.selected.connect((_, state) => this.select(state.id));
    this._rows.opened.connect((_, state) => {
      this.select(state.id);
      void this._commands.execute(CommandIDs.openState, { state: state.id });
    });
    this._rows.branchesRequested.connect((_, { row, anchor }) =>
      this._showBranches(row, anchor)
    );
    this._tracker.currentChanged.connect(() => void this._follow(), this);
    this.showView('timeline');
  }

  readonly model: HistoryModel;

  /** The API path of the notebook shown. */
  get path(): string | null {
    return this.model.path;
  }

  /** The selected state, if any. */
  get selected(): IState | null {
    const id = this._rows.selectedId;
    return (id && this.model.graph?.get(id)) || null;
  }

  get view(): View {
    return this._view;
  }

  /** The history on screen and its selected state (see `IShownHistory`). */
  get shown(): IShownHistory {
    if (this._view === 'shared') {
      return this._shared.shown;
    }
    return { path: this.path, owner: null, state: this.selected?.id ?? null };
  }

  select(id: string | null): void {
    this._rows.selectedId = id;
    this._timeline.repaint();
    this._tree.repaint();
    this._renderDetails();
    this._commands.notifyCommandChanged();
  }

  showView(view: View): void {
    this._view = view;
    const target = {
      timeline: this._timeline,
      tree: this._tree,
      cell: this._cell,
      search: this._search,
      shared: this._shared
    }[view];
    this._stack.widgets.forEach(w => (w === target ? w.show() : w.hide()));
    this._tabs.forEach((button, name) =>
      button.classList.toggle('jp-mod-active', name === view)
    );
    if (view === 'search') {
      this._search.focusInput();
    }
    if (view === 'cell') {
      void this._cell.refresh();
    }
    if (view === 'shared') {
      void this._shared.load();
    }
    this._notebook.hidden = view === 'shared';
    this._showSharedTab();
    this._update();
    this._commands.notifyCommandChanged();
  }

  /**
   * The server said `path`'s history changed (live.ts): show it now.
   */
  historyChanged(path: string, change?: IHistoryChange): void {
    if (change?.action === 'label' && change.state && path === this.path) {
      // a label adds no state: `tree?since=` would not bring it
      this.model.setLabel(change.state, change.label ?? null);
    }
    if (this.isVisible && path === this.model.path) {
      void this.refresh();
    }
  }

  /**
   * The live socket opened or closed: poll only as a fallback while it is
   * open; on opening, fetch what may have been missed meanwhile.
   */
  liveChanged(connected: boolean): void {
    this._live = connected;
    if (this._timer !== null) {
      this._startTimer();
    }
  }

  /** Fetch new states now. Never rejects. */
  async refresh(): Promise<void> {
    if (this._busy) {
      return;
    }
    this._busy = true;
    try {
      await this._follow();
      await this.model.refresh();
      if (this._view === 'cell') {
        await this._cell.refresh();
      }
      if (this._view === 'shared') {
        await this._shared.refresh();
      }
    } finally {
      this._busy = false;
    }
  }

  dispose(): void {
    this._stopTimer();
    this._branchMenu?.dispose();
    super.dispose(); // detaches: the socket closes
    this._liveSocket?.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this._startTimer();
    this._liveSocket?.watch(true);
  }

  protected onAfterHide(msg: Message): void {
    this._stopTimer();
    this._liveSocket?.watch(false);
  }

  protected onAfterAttach(msg: Message): void {
    if (this.isVisible) {
      this._startTimer();
      this._liveSocket?.watch(true);
    }
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopTimer();
    this._liveSocket?.watch(false);
  }

  private async _follow(): Promise<void> {
    const path = this._tracker.currentWidget?.context.localPath ?? null;
    if (path !== this.model.path) {
      this.select(null);
      this._notebook.textContent = path ?? '';
      this._notebook.title = path ?? '';
      await this.model.setPath(path);
      void this._refreshStorage();
    }
  }

  private _header(): Widget {
    const header = new Widget();
    header.addClass('jp-BranchPanel-header');
    const title = document.createElement('h2');
    title.className = 'jp-BranchPanel-title';
    title.textContent = this._trans.__('Notebook history');
    this._notebook.className = 'jp-BranchPanel-notebook';
    const tabs = document.createElement('div');
    tabs.className = 'jp-BranchPanel-tabs';
    const names: [View, string, string][] = [
      [
        'timeline',
        this._trans.__('Timeline'),
        this._trans.__('The current branch, newest first')
      ],
      [
        'tree',
        this._trans.__('Tree'),
        this._trans.__('Every state and branch')
      ],
      [
        'cell',
        this._trans.__('Cell'),
        this._trans.__('Every version of the active cell')
      ],
      [
        'search',
        this._trans.__('Search'),
        this._trans.__('Search code, markdown and outputs')
      ],
      [
        'shared',
        this._trans.__('Shared'),
        this._trans.__("Other users' histories shared with you, read-only")
      ]
    ];
    for (const [name, label, caption] of names) {
      const button = document.createElement('button');
      button.className = 'jp-BranchPanel-tab';
      button.dataset.view = name;
      button.textContent = label;
      button.title = caption;
      button.addEventListener('click', () => this.showView(name));
      this._tabs.set(name, button);
      tabs.append(button);
    }
    this._tabs.get('shared')!.hidden = true;
    this._banner.className = 'jp-BranchPanel-banner';
    this._banner.hidden = true;
    header.node.append(title, this._notebook, tabs, this._banner);
    return header;
  }

  private _update(): void {
    const graph = this.model.graph;
    const error = this.model.error;
    this._rows.now = Date.now();
    let message: string | null = null;
    let isError = false;
    if (!this.model.path) {
      message = this._trans.__('Open a notebook to see its history.');
    } else if (error) {
      message = error;
      isError = true;
    } else if (graph && graph.states.length === 0) {
      // GET tree answers a notebook without history with no states.
      message = this._trans.__(
        'No history yet: run a cell or edit this notebook.'
      );
    }
    const listView = this._view === 'timeline' || this._view === 'tree';
    this._message.node.textContent = message ?? '';
    this._message.node.classList.toggle('jp-mod-error', isError);
    this._message.setHidden(
      message === null || (!listView && !isError) || this._view === 'shared'
    );

    const rows = this.model.timeline();
    this._timeline.setItems(rows);
    if (this._view === 'tree') {
      this._tree.setItems(graph ? graph.treeRows() : []);
    }
    const onOtherBranch =
      graph !== null &&
      this.model.viewTip !== null &&
      !rows.some(r => r.isHead);
    this._banner.hidden = !onOtherBranch || this._view !== 'timeline';
    renderBranchBanner(
      this._banner,
      this._trans,
      () => (this.model.viewTip = null)
    );
    this._renderDetails();
  }

  private _showBranches(row: ITimelineRow, anchor: HTMLElement): void {
    const graph = this.model.graph;
    if (graph) {
      this._branchMenu?.dispose();
      this._branchMenu = openBranchMenu(graph, row, anchor, tip => {
        this.model.viewTip = tip.id;
        this.select(tip.id);
      });
    }
  }

  private _renderDetails(): void {
    const state = this.selected;
    const listView = this._view === 'timeline' || this._view === 'tree';
    this._details.setHidden(state === null || !listView);
    if (!state) {
      this._details.node.replaceChildren();
      return;
    }
    const trans = this._trans;
    const actions: [string, string][] = [
      [CommandIDs.openState, trans.__('Open')],
      [CommandIDs.diffState, trans.__('Diff')],
      [CommandIDs.diffStates, trans.__('Diff with…')],
      [CommandIDs.compareStates, trans.__('Compare with…')],
      [CommandIDs.restoreState, trans.__('Restore')]
    ];
    if (state.cell_id) {
      actions.push([CommandIDs.restoreCell, trans.__('Restore cell')]);
    }
    actions.push(
      [CommandIDs.exportState, trans.__('Export')],
      [CommandIDs.labelState, trans.__('Label…')]
    );
    renderStateDetails(this._details.node, state, actions, this._commands, {
      state: state.id
    });
  }

  /** The Shared tab is there only when something is shared (or it is open). */
  private _showSharedTab(): void {
    const none = this._shared.histories.length === 0;
    this._tabs.get('shared')!.hidden = none && this._view !== 'shared';
  }

  private async _refreshStorage(): Promise<void> {
    const line = await storageLine(this._fetchInfo, this._trans);
    if (this.isDisposed) {
      return;
    }
    this._footer.node.textContent = line.text;
    this._footer.node.title = line.title;
    this._footer.node.classList.toggle('jp-mod-error', line.isError);
    this._shared.me = line.owner;
    void this._shared.load();
  }

  private _startTimer(): void {
    this._stopTimer();
    void this.refresh();
    void this._refreshStorage();
    const every = this._live ? FALLBACK_INTERVAL_MS : REFRESH_INTERVAL_MS;
    this._timer = setInterval(() => void this.refresh(), every);
    this._storageTimer = setInterval(() => void this._refreshStorage(), 30000);
  }

  private _stopTimer(): void {
    if (this._timer !== null) {
      clearInterval(this._timer);
      this._timer = null;
    }
    if (this._storageTimer !== null) {
      clearInterval(this._storageTimer);
      this._storageTimer = null;
    }
  }

  private _banner = document.createElement('div');
  private _branchMenu: Menu | null = null;
  private _busy = false;
  private _cell: CellHistoryView;
  private _commands: CommandRegistry;
  private _details = new Widget();
  private _fetchInfo: () => Promise<IInfo>;
  private _footer = new Widget();
  private _message = new Widget();
  private _notebook = document.createElement('div');
  private _rows: RowRenderer;
  private _search: SearchView;
  private _shared: SharedView;
  private _stack = new StackedPanel();
  private _tabs = new Map<View, HTMLButtonElement>();
  private _timeline: TimelineView;
  private _timer: ReturnType<typeof setInterval> | null = null;
  private _live = false;
  private _liveSocket: ILiveSocket | null;
  private _storageTimer: ReturnType<typeof setInterval> | null = null;
  private _tracker: INotebookTracker;
  private _trans: TranslationBundle;
  private _tree: VirtualList<ITreeRow>;
  private _view: View = 'timeline';
}

export namespace HistoryPanel {
  export interface IOptions {
    tracker: INotebookTracker;
    rendermime: IRenderMimeRegistry;
    commands: CommandRegistry;
    trans: TranslationBundle;
    serverSettings?: ServerConnection.ISettings;
    fetchTree?: (path: string, since: number) => Promise<ITree>;
    fetchInfo?: () => Promise<IInfo>;
    shared?: ISharedSource;
    /** The browser's Jupyter user name: rows name other users only. */
    currentUser?: () => string | null;
    /** Opens the live socket (`LiveHistory`) for the panel; none: poll only. */
    connectLive?: (listener: IHistoryListener) => ILiveSocket;
  }
}
