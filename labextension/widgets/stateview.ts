/**
 * Main-area views of history: one state, read-only, as a notebook reads; and
 * the differences between a state and the open notebook or another state.
 */

import { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog, MainAreaWidget } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { branchIcon } from '../icons';
import { CommandIDs, IDiff, IState, IStateDetail } from '../tokens';
import { renderCell } from './outputs';
import { cellName, rowTitle } from './rowtext';
import { formatDuration } from './timeline';

/**
 * A state, read-only, with the actions that apply to it. A state of another
 * user's history (`owner`, shared with this user) says whose it is and offers
 * only reads: compare with another of its states, export.
 */
export class StateView extends Panel {
  constructor(options: {
    path: string;
    owner?: string | null;
    state: IStateDetail;
    rendermime: IRenderMimeRegistry;
    commands: CommandRegistry;
    trans: TranslationBundle;
    focusCell?: string | null;
  }) {
    super();
    const { state, trans, commands, path } = options;
    const owner = options.owner ?? null;
    this.addClass('jp-BranchStateView');
    this.node.dataset.stateId = state.id;
    if (owner) {
      this.node.dataset.owner = owner;
    }
    const head = new Widget();
    head.addClass('jp-BranchStateView-head');
    const title = document.createElement('div');
    title.className = 'jp-BranchStateView-title';
    const cell = cellName(state, trans);
    const ran = cell ? ` · ${cell}` : '';
    title.title = rowTitle(state, trans);
    const status = state.status ? ` · ${state.status}` : '';
    const duration =
      state.duration_ms !== null
        ? ` · ${formatDuration(state.duration_ms)}`
        : '';
    const whose = owner ? ` — ${trans.__('shared by %1', owner)}` : '';
    title.textContent = `${path}${whose} — ${state.event}${ran}${status}${duration} — ${new Date(state.time).toLocaleString()}`;
    const note = document.createElement('div');
    note.className = 'jp-BranchStateView-note';
    note.textContent = owner
      ? trans.__(
          "Read-only view of state %1%2 of %3's history, shared with you. Outputs are shown untrusted: no script from history runs.",
          state.id.slice(0, 12),
          state.label ? ` (${state.label})` : '',
          owner
        )
      : trans.__(
          'Read-only view of state %1%2. Outputs are shown untrusted: no script from history runs.',
          state.id.slice(0, 12),
          state.label ? ` (${state.label})` : ''
        );
    const actions = document.createElement('div');
    actions.className = 'jp-BranchPanel-actions';
    const button = (command: string, label: string) => {
      const b = document.createElement('button');
      b.className = 'jp-BranchPanel-action';
      b.dataset.command = command;
      b.textContent = label;
      const args = { state: state.id, path, ...(owner ? { owner } : {}) };
      b.addEventListener('click', () => void commands.execute(command, args));
      actions.append(b);
    };
    if (owner) {
      button(CommandIDs.diffStates, trans.__('Diff with another state…'));
    } else {
      button(CommandIDs.restoreState, trans.__('Restore into the notebook'));
      button(CommandIDs.diffState, trans.__('Diff with the notebook'));
      button(CommandIDs.compareStates, trans.__('Compare with another state…'));
    }
    button(CommandIDs.exportState, trans.__('Export as notebook'));
    button(CommandIDs.exportStateNoOutputs, trans.__('Export without outputs'));
    head.node.append(title, note, actions);
    this.addWidget(head);
    const focus =
      options.focusCell ?? (state.event === 'execute' ? state.cell_id : null);
    let target: Widget | null = null;
    for (const cell of state.cells) {
      const widget = renderCell(cell, options.rendermime, {
        highlight: cell.id === focus
      });
      if (cell.id === focus) {
        target = widget;
      }
      this.addWidget(widget);
    }
    if (state.cells.length === 0) {
      const empty = new Widget();
      empty.node.textContent = trans.__('This state has no cells.');
      this.addWidget(empty);
    }
    if (target) {
      const node = target.node;
      requestAnimationFrame(() => node.scrollIntoView({ block: 'center' }));
    }
  }
}

/**
 * The differences from state `a` to `b` (another state, or the notebook now).
 */
export class DiffView extends Widget {
  constructor(options: {
    path: string;
    owner?: string | null;
    diff: IDiff;
    trans: TranslationBundle;
  }) {
    super();
    const { diff, trans, path } = options;
    this.addClass('jp-BranchDiff');
    const title = document.createElement('div');
    title.className = 'jp-BranchStateView-title';
    title.textContent = trans.__(
      '%1: from state %2 to %3',
      options.owner
        ? `${path} (${trans.__('shared by %1', options.owner)})`
        : path,
      diff.a.slice(0, 12),
      diff.b
        ? `state ${diff.b.slice(0, 12)}`
        : trans.__('the notebook as it is now')
    );
    this.node.append(title);
    const changed = diff.cells.filter(c => c.change !== 'unchanged');
    // cells by their place in b (the newer side), as the user knows them
    const place = new Map<string, number>();
    diff.cells
      .filter(c => c.change !== 'removed')
      .forEach((c, i) => place.set(c.cell_id, i + 1));
    const summary = document.createElement('div');
    summary.className = 'jp-BranchStateView-note';
    summary.textContent =
      changed.length === 0
        ? trans.__('No differences.')
        : trans._n(
            '%1 cell differs; %2 unchanged cells are not shown.',
            '%1 cells differ; %2 unchanged cells are not shown.',
            changed.length,
            diff.cells.length - changed.length
          );
    this.node.append(summary);
    for (const entry of changed) {
      const block = document.createElement('section');
      block.className = `jp-BranchDiff-cell jp-mod-${entry.change}`;
      block.dataset.cellId = entry.cell_id;
      const head = document.createElement('div');
      head.className = 'jp-BranchDiff-head';
      const at = place.get(entry.cell_id);
      head.textContent = at
        ? trans.__('%1 cell %2: %3', entry.cell_type, at, entry.change)
        : trans.__('%1 cell: %2', entry.cell_type, entry.change);
      head.title = trans.__('cell id %1', entry.cell_id);
      block.append(head);
      if (entry.source_diff.length > 0) {
        block.append(diffLines(entry.source_diff));
      }
      if (entry.outputs_diff.length > 0) {
        const label = document.createElement('div');
        label.className = 'jp-BranchDiff-label';
        label.textContent = trans.__('outputs');
        block.append(label, diffLines(entry.outputs_diff));
      } else if (entry.outputs_changed) {
        const label = document.createElement('div');
        label.className = 'jp-BranchDiff-label';
        label.textContent = trans.__(
          'outputs changed (images or other rich data)'
        );
        block.append(label);
      }
      this.node.append(block);
    }
  }
}

/**
 * Classes of diff lines by their first character: added, removed, and lines
 * about the diff (hunk headers, "\ No newline at end of file").
 */
const LINE_CLASSES: Record<string, string> = {
  '+': 'jp-mod-added',
  '-': 'jp-mod-removed',
  '@': 'jp-mod-hunk',
  '\\': 'jp-mod-hunk'
};

/**
 * Lines of a diff as the server made them (`#diff_lines`), only coloured.
 */
export function diffLines(lines: string[]): HTMLElement {
  const pre = document.createElement('pre');
  pre.className = 'jp-BranchDiff-lines';
  for (const line of lines) {
    const row = document.createElement('div');
    row.textContent = line;
    const kind = LINE_CLASSES[line.charAt(0)];
    if (kind) {
      row.className = kind;
    }
    pre.append(row);
  }
  return pre;
}

/** How many states the "with which state?" dialog offers, newest first. */
const MAX_CHOICES = 500;

/**
 * Ask which state to diff or compare state `id` with, among `states` (oldest
 * first, as a tree lists them), in a dialog titled `title`; returns its id,
 * or null if the user cancelled. Throws when there is no other state.
 */
export async function pickOtherState(
  states: readonly IState[],
  id: string,
  title: string,
  trans: TranslationBundle
): Promise<string | null> {
  // newest first; a dialog of a few hundred choices stays usable
  const choices = [...states]
    .reverse()
    .filter(s => s.id !== id)
    .slice(0, MAX_CHOICES);
  if (choices.length === 0) {
    throw new Error(trans.__('this notebook has no other state'));
  }
  const labels = choices.map(
    s =>
      `${s.id.slice(0, 12)} · ${s.label ? `[${s.label}] ` : ''}${s.event} · ${s.preview.slice(0, 60)}`
  );
  const result = await InputDialog.getItem({
    title,
    items: labels,
    current: 0
  });
  if (!result.button.accept || result.value === null) {
    return null;
  }
  return choices[labels.indexOf(result.value)].id;
}

/**
 * Put a view in a main-area tab with the history icon.
 */
export function mainArea(
  content: Widget,
  id: string,
  label: string
): MainAreaWidget {
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.title.label = label;
  widget.title.icon = branchIcon;
  widget.title.closable = true;
  content.node.classList.add('jp-BranchMain');
  return widget;
}

/**
 * Show a history view in the main area: as a tab beside the other history
 * views, or, for the first, split to the right of the notebook.
 */
export function openInMainArea(
  shell: JupyterFrontEnd.IShell,
  widget: Widget
): void {
  const other = [...shell.widgets('main')].find(
    w => w !== widget && w.hasClass('jp-BranchMainTab')
  );
  widget.addClass('jp-BranchMainTab');
  shell.add(
    widget,
    'main',
    other ? { mode: 'tab-after', ref: other.id } : { mode: 'split-right' }
  );
  shell.activateById(widget.id);
}
