/**
 * Two versions of one cell side by side, A (older) | B (newer): when and how
 * each ran, the code's line diff and the outputs' text diff as the server
 * makes them (`GET diff`), each pair of images with swipe, onion skin and
 * pixel difference, and the other outputs (HTML and rich data) rendered
 * side by side, untrusted, as everywhere in history.
 */

import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { imagesOf, otherOutputs, pairImages, ranCell } from '../compare';
import { IDiffCell, IOutput, IState, IStateCell } from '../tokens';
import { ImageCompare, PixelLoader } from './compareimages';
import { renderOutputs } from './outputs';
import { eventLabel } from './rowtext';
import { diffLines } from './stateview';
import { formatDuration, relativeTime } from './timeline';

/**
 * One side of a comparison: a state, and the cell as it was there.
 */
export interface ICompareSide {
  state: IState;
  /** The cell in that state; null when the state does not have it. */
  cell: IStateCell | null;
}

/**
 * The header of one side: which side, the run (execution count, status,
 * duration), when (relative and absolute), the state.
 *
 * With `cellId`, the header speaks of that cell: status and duration are
 * shown only if the state ran it. Without, of the state itself.
 */
export function sideHeader(
  which: 'a' | 'b',
  state: IState,
  cell: IStateCell | null,
  cellId: string | null,
  trans: TranslationBundle,
  now = Date.now()
): HTMLElement {
  const node = document.createElement('div');
  node.className = 'jp-BranchCompare-side';
  node.dataset.side = which;
  node.dataset.stateId = state.id;
  const name = document.createElement('div');
  name.className = 'jp-BranchCompare-sideName';
  name.textContent =
    which === 'a' ? trans.__('A · older') : trans.__('B · newer');
  const run = document.createElement('div');
  run.className = 'jp-BranchCompare-run';
  const ran =
    cellId === null ? state.event === 'execute' : ranCell(state, cellId);
  const parts: string[] = [];
  if (cellId === null && state.event === 'execute' && state.cell_id) {
    parts.push(trans.__('ran cell %1', state.cell_id.slice(0, 8)));
  }
  const count = cell ? cell.execution_count : state.execution_count;
  if (cell?.cell_type === 'code' || (cellId === null && ran)) {
    parts.push(`[${count ?? ' '}]`);
  }
  if (ran) {
    parts.push(state.status ?? trans.__('no status'));
    if (state.duration_ms !== null) {
      parts.push(formatDuration(state.duration_ms));
    }
  }
  run.textContent = parts.join(' · ');
  if (ran && state.status && state.status !== 'ok') {
    run.classList.add('jp-mod-error');
  }
  const when = document.createElement('div');
  when.className = 'jp-BranchCompare-when';
  when.textContent = `${eventLabel(state.event, trans)} · ${relativeTime(state.time, now)} · ${new Date(state.time).toLocaleString()}`;
  const id = document.createElement('div');
  id.className = 'jp-BranchCompare-state';
  id.textContent = trans.__('state %1', state.id.slice(0, 12));
  id.title = state.id;
  if (state.label) {
    const label = document.createElement('span');
    label.className = 'jp-BranchRow-label';
    label.textContent = state.label;
    id.append(' ', label);
  }
  node.append(name, run, when, id);
  if (cellId !== null && !cell) {
    node.append(note(trans.__('The cell is not in this state.')));
  } else if (cellId !== null && !ran && cell?.cell_type === 'code') {
    node.append(
      note(
        trans.__(
          'Not run in this state: its outputs, if any, come from an earlier run.'
        )
      )
    );
  }
  return node;
}

function note(text: string, className = 'jp-BranchCompare-note'): HTMLElement {
  const node = document.createElement('div');
  node.className = className;
  node.textContent = text;
  return node;
}

function section(title: string, className: string): Widget {
  const widget = new Widget();
  widget.addClass('jp-BranchCompare-section');
  widget.addClass(className);
  const heading = document.createElement('h3');
  heading.className = 'jp-BranchCompare-heading';
  heading.textContent = title;
  widget.node.append(heading);
  return widget;
}

/**
 * A cell's two versions, A older and B newer, side by side.
 */
export class CompareView extends Panel {
  constructor(options: CompareView.IOptions) {
    super();
    const { a, b, entry, trans, cellId, path } = options;
    this.addClass('jp-BranchCompare');
    this.node.dataset.cellId = cellId;
    const now = Date.now();

    const head = new Widget();
    head.addClass('jp-BranchCompare-head');
    const title = document.createElement('div');
    title.className = 'jp-BranchStateView-title';
    title.textContent = trans.__(
      '%1 — cell %2: %3 ↔ %4',
      path,
      cellId.slice(0, 8),
      a.state.id.slice(0, 8),
      b.state.id.slice(0, 8)
    );
    head.node.append(
      title,
      note(
        trans.__(
          'A is the older version, B the newer. Outputs are shown untrusted: no script from history runs.'
        ),
        'jp-BranchStateView-note'
      )
    );
    const sides = document.createElement('div');
    sides.className = 'jp-BranchCompare-columns jp-BranchCompare-sides';
    sides.append(
      sideHeader('a', a.state, a.cell, cellId, trans, now),
      sideHeader('b', b.state, b.cell, cellId, trans, now)
    );
    head.node.append(sides);
    this.addWidget(head);

    const code = section(trans.__('Code'), 'jp-BranchCompare-code');
    if (entry.source_diff.length > 0) {
      code.node.append(diffLines(entry.source_diff));
    } else {
      code.node.append(
        note(trans.__('Code identical.'), 'jp-BranchCompare-same')
      );
    }
    this.addWidget(code);

    this._addOutputs(options);
  }

  /** The image comparisons, in the order of the outputs. */
  get images(): readonly ImageCompare[] {
    return this._images;
  }

  private _addOutputs(options: CompareView.IOptions): void {
    const { a, b, entry, trans } = options;
    const outputsA = (a.cell?.outputs ?? []) as IOutput[];
    const outputsB = (b.cell?.outputs ?? []) as IOutput[];
    const status = section(trans.__('Outputs'), 'jp-BranchCompare-outputs');
    if (outputsA.length === 0 && outputsB.length === 0) {
      status.node.append(
        note(trans.__('Neither version has outputs.'), 'jp-BranchCompare-same')
      );
      this.addWidget(status);
      return;
    }
    if (!entry.outputs_changed) {
      status.node.append(
        note(trans.__('Outputs identical.'), 'jp-BranchCompare-same')
      );
    } else if (entry.outputs_diff.length > 0) {
      status.node.append(
        note(
          trans.__(
            'Text of the outputs (streams, text, errors; other data by type and size):'
          ),
          'jp-BranchDiff-label'
        ),
        diffLines(entry.outputs_diff)
      );
    } else {
      status.node.append(
        note(
          trans.__(
            'The text of the outputs is the same; images or other rich data differ.'
          ),
          'jp-BranchDiff-label'
        )
      );
    }
    this.addWidget(status);

    const pairs = pairImages(imagesOf(outputsA), imagesOf(outputsB));
    if (pairs.length > 0) {
      const images = new Panel();
      images.addClass('jp-BranchCompare-images');
      for (const pair of pairs) {
        const compare = new ImageCompare({
          a: pair.a,
          b: pair.b,
          trans,
          loadPixels: options.loadPixels
        });
        this._images.push(compare);
        images.addWidget(compare);
      }
      this.addWidget(images);
    }

    const restA = otherOutputs(outputsA);
    const restB = otherOutputs(outputsB);
    if (restA.length > 0 || restB.length > 0) {
      const rendered = new Panel();
      rendered.addClass('jp-BranchCompare-columns');
      rendered.addClass('jp-BranchCompare-rendered');
      const column = (outputs: IOutput[], all: IOutput[], which: 'a' | 'b') => {
        const panel = new Panel();
        panel.addClass('jp-BranchCompare-column');
        panel.node.dataset.side = which;
        if (outputs.length > 0) {
          panel.addWidget(renderOutputs(outputs, options.rendermime));
        } else {
          const none = new Widget();
          none.addClass('jp-BranchCompare-none');
          none.node.textContent =
            all.length === 0
              ? trans.__('No outputs')
              : trans.__('Only images (above)');
          panel.addWidget(none);
        }
        return panel;
      };
      rendered.addWidget(column(restA, outputsA, 'a'));
      rendered.addWidget(column(restB, outputsB, 'b'));
      const label = section(
        trans.__('As Jupyter shows them'),
        'jp-BranchCompare-renderedHead'
      );
      this.addWidget(label);
      this.addWidget(rendered);
    }
  }

  private _images: ImageCompare[] = [];
}

export namespace CompareView {
  export interface IOptions {
    path: string;
    cellId: string;
    /** The older side. */
    a: ICompareSide;
    /** The newer side. */
    b: ICompareSide;
    /** The cell's entry in `GET diff` from A to B. */
    entry: IDiffCell;
    rendermime: IRenderMimeRegistry;
    trans: TranslationBundle;
    /** How images' pixels are read; by default through a canvas. */
    loadPixels?: PixelLoader;
  }
}
