/**
 * Two whole states compared, A (older) | B (newer): which cells changed
 * code and which changed outputs (from `GET diff`). Each entry opens the
 * comparison of that cell between the two states (`CompareView`).
 */

import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { changedCells, countChanges } from '../compare';
import { CommandIDs, IDiff, IDiffCell, IState } from '../tokens';
import { sideHeader } from './compare';

export class StateCompareView extends Widget {
  constructor(options: StateCompareView.IOptions) {
    super();
    this._options = options;
    const { a, b, diff, trans, path } = options;
    this.addClass('jp-BranchCompare');
    this.addClass('jp-BranchCompareStates');
    const now = Date.now();
    const title = document.createElement('div');
    title.className = 'jp-BranchStateView-title';
    title.textContent = trans.__(
      '%1: state %2 ↔ state %3',
      path,
      a.id.slice(0, 8),
      b.id.slice(0, 8)
    );
    const sides = document.createElement('div');
    sides.className = 'jp-BranchCompare-columns jp-BranchCompare-sides';
    sides.append(
      sideHeader('a', a, null, null, trans, now),
      sideHeader('b', b, null, null, trans, now)
    );
    this.node.append(title, sides);

    const { code, outputs, same } = changedCells(diff.cells);
    if (code.length === 0 && outputs.length === 0) {
      this.node.append(
        this._note(
          trans.__('The two states have the same cells, code and outputs.')
        )
      );
      return;
    }
    this.node.append(
      this._note(
        [
          trans.__('Open a cell to compare it between the two states.'),
          same > 0
            ? trans._n(
                '%1 cell has the same code and outputs in both.',
                '%1 cells have the same code and outputs in both.',
                same
              )
            : ''
        ]
          .join(' ')
          .trim()
      ),
      this._list(
        trans.__('Code changed (%1)', code.length),
        'code',
        code,
        e => {
          const { added, removed } = countChanges(e.source_diff);
          const lines = `+${added} −${removed}`;
          switch (e.change) {
            case 'added':
              return `${trans.__('only in B')} · ${lines}`;
            case 'removed':
              return `${trans.__('only in A')} · ${lines}`;
            default:
              return e.source_diff.length > 0 ? lines : trans.__('cell type');
          }
        }
      ),
      this._list(
        trans.__('Outputs changed (%1)', outputs.length),
        'outputs',
        outputs,
        e => {
          if (e.outputs_diff.length === 0) {
            return trans.__('rich data (HTML, images…)');
          }
          const { added, removed } = countChanges(e.outputs_diff);
          return trans.__('text +%1 −%2', added, removed);
        }
      )
    );
  }

  private _note(text: string): HTMLElement {
    const node = document.createElement('div');
    node.className = 'jp-BranchStateView-note';
    node.textContent = text;
    return node;
  }

  private _list(
    heading: string,
    kind: 'code' | 'outputs',
    entries: IDiffCell[],
    detail: (entry: IDiffCell) => string
  ): HTMLElement {
    const { trans, commands, path, a, b } = this._options;
    const block = document.createElement('section');
    block.className = 'jp-BranchCompare-section jp-BranchCompareStates-list';
    block.dataset.kind = kind;
    const title = document.createElement('h3');
    title.className = 'jp-BranchCompare-heading';
    title.textContent = heading;
    block.append(title);
    if (entries.length === 0) {
      block.append(this._note(trans.__('None.')));
    }
    for (const entry of entries) {
      const button = document.createElement('button');
      button.className = 'jp-BranchCompareStates-entry';
      button.dataset.cellId = entry.cell_id;
      button.title = trans.__('Compare this cell between the two states');
      const name = document.createElement('span');
      name.className = 'jp-BranchCompareStates-cell';
      name.textContent = trans.__(
        '%1 cell %2',
        entry.cell_type,
        entry.cell_id.slice(0, 8)
      );
      const what = document.createElement('span');
      what.className = 'jp-BranchCompareStates-detail';
      what.textContent = detail(entry);
      const preview = document.createElement('span');
      preview.className = 'jp-BranchCompareStates-preview';
      preview.textContent = firstLine(entry.source_b ?? entry.source_a ?? '');
      button.append(name, what, preview);
      button.addEventListener('click', () => {
        void commands.execute(CommandIDs.compareRuns, {
          path,
          cell: entry.cell_id,
          a: a.id,
          b: b.id
        });
      });
      block.append(button);
    }
    return block;
  }

  private _options: StateCompareView.IOptions;
}

function firstLine(text: string): string {
  return text.split('\n').find(line => line.trim() !== '') ?? '';
}

export namespace StateCompareView {
  export interface IOptions {
    path: string;
    /** The older state. */
    a: IState;
    /** The newer state. */
    b: IState;
    /** `GET diff` from A to B. */
    diff: IDiff;
    commands: CommandRegistry;
    trans: TranslationBundle;
  }
}
