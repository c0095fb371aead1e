/**
 * The rows of the history panel's lists: the timeline of one branch and the
 * compact tree of all states. Both lists are virtualized (virtuallist.ts);
 * what a row says is in rowtext.ts.
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';
import { Menu } from '@lumino/widgets';

import { branchIcon } from '../icons';
import { HistoryGraph, ITimelineRow, ITreeRow } from '../model';
import { IState } from '../tokens';
import { cellName, eventLabel, madeBy, previewOf, rowTitle } from './rowtext';

export { VirtualList } from './virtuallist';

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
 * "850 ms", "12.3 s", "4 min 5 s".
 */
export function formatDuration(ms: number | null): string {
  if (ms === null) {
    return '';
  }
  if (ms < 1000) {
    return `${ms} ms`;
  }
  if (ms < 60000) {
    return `${(ms / 1000).toFixed(1)} s`;
  }
  const minutes = Math.floor(ms / 60000);
  return `${minutes} min ${Math.round((ms % 60000) / 1000)} s`;
}

/**
 * What a row asks of the panel when clicked.
 */
export interface IRowEvents {
  /** A state was selected (clicked). */
  selected: ISignal<unknown, IState>;
  /** A state was opened (double-clicked). */
  opened: ISignal<unknown, IState>;
  /** The user asked to see the branches that start at a state. */
  branchesRequested: ISignal<
    unknown,
    { row: ITimelineRow; anchor: HTMLElement }
  >;
}

/**
 * Renders timeline and tree rows and tells the panel what the user did.
 */
export class RowRenderer implements IRowEvents {
  /**
   * @param currentUser the browser's own Jupyter user name, if known: rows
   *   name other users only.
   */
  constructor(
    private _trans: TranslationBundle,
    private _currentUser: () => string | null = () => null
  ) {}

  selectedId: string | null = null;
  now = Date.now();

  get selected(): ISignal<this, IState> {
    return this._selected;
  }

  get opened(): ISignal<this, IState> {
    return this._opened;
  }

  get branchesRequested(): ISignal<
    this,
    { row: ITimelineRow; anchor: HTMLElement }
  > {
    return this._branches;
  }

  timelineRow = (row: ITimelineRow): HTMLElement => {
    const state = row.state;
    const node = this._base(state, 'jp-BranchRow');
    node.classList.toggle('jp-mod-head', row.isHead);
    const meta = div('jp-BranchRow-meta');
    // what must stay visible in a narrow sidebar comes first
    if (row.isHead) {
      const head = span('jp-BranchRow-head', '●');
      head.title = this._trans.__('The notebook stands on this state (Head)');
      meta.append(head);
    }
    if (row.otherBranches.length > 0) {
      const n = row.otherBranches.length;
      const link = document.createElement('button');
      link.className = 'jp-BranchRow-branches';
      link.append(
        branchIcon.element({ tag: 'span', height: '12px', width: '12px' }),
        document.createTextNode(` ${n}`)
      );
      link.title = this._trans._n(
        '%1 other branch starts here: open it',
        '%1 other branches start here: open one',
        n
      );
      link.addEventListener('click', event => {
        event.stopPropagation();
        this._branches.emit({ row, anchor: link });
      });
      meta.append(link);
    }
    meta.append(
      span('jp-BranchRow-event', eventLabel(state.event, this._trans)),
      span('jp-BranchRow-time', relativeTime(state.time, this.now))
    );
    const by = madeBy(state, this._currentUser(), this._trans);
    if (by) {
      meta.append(span('jp-BranchRow-by', by));
    }
    if (state.label) {
      meta.append(span('jp-BranchRow-label', state.label));
    }
    if (state.status && state.status !== 'ok') {
      const status = span('jp-BranchRow-status', state.status);
      status.classList.add(`jp-mod-${state.status}`);
      meta.append(status);
    }
    if (state.execution_count !== null) {
      meta.append(span('jp-BranchRow-count', `[${state.execution_count}]`));
    }
    if (state.duration_ms !== null && state.event === 'execute') {
      meta.append(
        span('jp-BranchRow-duration', formatDuration(state.duration_ms))
      );
    }
    const preview = div('jp-BranchRow-preview');
    const cell = cellName(state, this._trans);
    if (cell) {
      const name = span('jp-BranchRow-cell', cell);
      if (state.cell_id) {
        name.dataset.cellId = state.cell_id;
      }
      preview.append(name);
    }
    preview.append(span('jp-BranchRow-text', previewOf(state, this._trans)));
    if (row.folded.length > 0) {
      // the edits that only prepared this run: kept, shown with "Show every edit"
      node.dataset.folded = row.folded.map(s => s.id).join(' ');
      node.title += `\n${this._trans._n(
        'The edit before this run is folded into it',
        '%1 edits before this run are folded into it',
        row.folded.length
      )}`;
    }
    node.append(meta, preview);
    return node;
  };

  treeRow = (row: ITreeRow, _index: number, width = 12): HTMLElement => {
    const state = row.state;
    const node = this._base(state, 'jp-BranchTreeRow');
    node.classList.toggle('jp-mod-head', row.isHead);
    const lanes =
      Math.max(row.lane, ...row.lanesBefore, ...row.lanesAfter, 0) + 1;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('class', 'jp-BranchTreeRow-graph');
    svg.setAttribute('width', String(lanes * width + 4));
    svg.setAttribute('height', '28');
    const x = (lane: number) => lane * width + width / 2 + 2;
    const line = (x1: number, y1: number, x2: number, y2: number) => {
      const l = document.createElementNS('http://www.w3.org/2000/svg', 'line');
      l.setAttribute('x1', String(x1));
      l.setAttribute('y1', String(y1));
      l.setAttribute('x2', String(x2));
      l.setAttribute('y2', String(y2));
      svg.appendChild(l);
    };
    for (const lane of row.lanesBefore) {
      line(x(lane), 0, x(lane === row.lane ? row.lane : lane), 14);
    }
    for (const lane of row.lanesAfter) {
      line(lane === row.lane ? x(row.lane) : x(lane), 14, x(lane), 28);
    }
    // a branch that ends here joins this state's dot
    for (const lane of row.lanesBefore) {
      if (lane !== row.lane && !row.lanesAfter.includes(lane)) {
        line(x(lane), 0, x(row.lane), 14);
      }
    }
    const dot = document.createElementNS(
      'http://www.w3.org/2000/svg',
      'circle'
    );
    dot.setAttribute('cx', String(x(row.lane)));
    dot.setAttribute('cy', '14');
    dot.setAttribute('r', row.isHead ? '5' : '3.5');
    dot.setAttribute('class', `jp-mod-${state.event}`);
    svg.appendChild(dot);
    const text = div('jp-BranchTreeRow-text');
    const label = state.label ? `[${state.label}] ` : '';
    const cell = cellName(state, this._trans);
    text.textContent = `${label}${eventLabel(state.event, this._trans)} · ${cell ? `${cell}: ` : ''}${previewOf(state, this._trans)}`;
    const time = span(
      'jp-BranchTreeRow-time',
      relativeTime(state.time, this.now)
    );
    node.append(svg, text, time);
    return node;
  };

  private _base(state: IState, className: string): HTMLElement {
    const node = div(className);
    node.classList.add('jp-BranchStateRow');
    node.dataset.stateId = state.id;
    node.dataset.event = state.event;
    if (state.cell_id) {
      node.dataset.cellId = state.cell_id;
    }
    node.title = rowTitle(state, this._trans);
    node.classList.toggle('jp-mod-selected', state.id === this.selectedId);
    node.addEventListener('click', () => this._selected.emit(state));
    node.addEventListener('dblclick', () => this._opened.emit(state));
    node.addEventListener('contextmenu', () => this._selected.emit(state));
    return node;
  }

  private _selected = new Signal<this, IState>(this);
  private _opened = new Signal<this, IState>(this);
  private _branches = new Signal<
    this,
    { row: ITimelineRow; anchor: HTMLElement }
  >(this);
}

/**
 * Open, below `anchor`, a menu of the branches that leave the timeline at
 * `row`, each by its tip; `pick` gets the tip chosen. Returns the menu (the
 * caller disposes of it).
 */
export function openBranchMenu(
  graph: HistoryGraph,
  row: ITimelineRow,
  anchor: HTMLElement,
  pick: (tip: IState) => void
): Menu {
  const menu = new Menu({ commands: new CommandRegistry() });
  menu.addClass('jp-BranchPanel-branchMenu');
  for (const child of row.otherBranches) {
    const tip = graph.tipOf(child.id) ?? child;
    const id = `open-branch:${tip.id}`;
    menu.commands.addCommand(id, {
      describedBy: { args: { type: 'object', properties: {} } },
      label: `${tip.label ? `[${tip.label}] ` : ''}${tip.preview || tip.event} (${new Date(tip.time).toLocaleString()})`,
      execute: () => pick(tip)
    });
    menu.addItem({ command: id });
  }
  const rect = anchor.getBoundingClientRect();
  menu.open(rect.left, rect.bottom);
  return menu;
}

function div(className: string): HTMLDivElement {
  const node = document.createElement('div');
  node.className = className;
  return node;
}

function span(className: string, text: string): HTMLSpanElement {
  const node = document.createElement('span');
  node.className = className;
  node.textContent = text;
  return node;
}

/**
 * "812 bytes", "1.5 KB", "3.2 MB".
 */
export function formatBytes(n: number): string {
  if (n < 1000) {
    return `${n} bytes`;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 'bytes';
  for (const next of units) {
    if (value < 1000) {
      break;
    }
    value /= 1000;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}
