/**
 * Putting recorded content back into an open notebook: a whole state, one
 * cell, or the outputs of runs the document missed (catchup.ts), each as a
 * single undo step, and never while cells are running.
 */

import { NotebookPanel } from '@jupyterlab/notebook';
import type { ISharedCodeCell } from '@jupyter/ydoc';

import { IStateCell } from './tokens';

/**
 * Why a restore cannot happen now, or null if it can.
 */
export function restoreBlocker(panel: NotebookPanel): string | null {
  const model = panel.content.model;
  if (!model) {
    return 'The notebook is not loaded yet.';
  }
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i) as { executionState?: string };
    if (cell.executionState === 'running') {
      return 'Cells of this notebook are running. Restore when they have finished, or interrupt the kernel first.';
    }
  }
  return null;
}

/**
 * The shape the shared model takes to make a cell.
 */
function asSharedCell(cell: IStateCell): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: cell.id,
    cell_type: cell.cell_type,
    source: cell.source,
    metadata: cell.metadata ?? {}
  };
  if (cell.cell_type === 'code') {
    base.outputs = cell.outputs ?? [];
    base.execution_count = cell.execution_count ?? null;
  }
  return base;
}

/**
 * Replace the notebook's cells with `cells` (whole restore), or only the cell
 * `cellId` (inserting it where `cells` has it if the notebook lost it).
 * One undo step; throws if a restore is not possible now.
 */
export function applyRestore(
  panel: NotebookPanel,
  cells: IStateCell[],
  cellId: string | null
): void {
  const blocker = restoreBlocker(panel);
  if (blocker) {
    throw new Error(blocker);
  }
  const shared = panel.content.model!.sharedModel;
  const undo = (
    shared as unknown as { undoManager?: { stopCapturing(): void } }
  ).undoManager;
  undo?.stopCapturing();
  shared.transact(() => {
    if (cellId === null) {
      shared.deleteCellRange(0, shared.cells.length);
      shared.insertCells(0, cells.map(asSharedCell) as never[]);
      return;
    }
    const wanted = cells.find(c => c.id === cellId);
    if (!wanted) {
      throw new Error(`The restored content has no cell ${cellId}.`);
    }
    const index = shared.cells.findIndex(c => c.id === cellId);
    const existing = index >= 0 ? shared.cells[index] : null;
    if (existing && existing.cell_type === wanted.cell_type) {
      existing.setSource(wanted.source);
      if (wanted.cell_type === 'code') {
        const code = existing as unknown as ISharedCodeCell;
        code.setOutputs(asSharedCell(wanted).outputs as never[]);
        code.execution_count = wanted.execution_count ?? null;
      }
      return;
    }
    if (existing) {
      shared.deleteCell(index);
    }
    const at =
      index >= 0 ? index : Math.min(cells.indexOf(wanted), shared.cells.length);
    shared.insertCell(at, asSharedCell(wanted) as never);
  });
  undo?.stopCapturing();
}

/**
 * A cell's outputs to put back, for the cell holding `source`.
 */
export interface ICellOutputs {
  id: string;
  source: string;
  outputs: unknown[];
  execution_count: number | null;
}

/**
 * Put recorded outputs and execution counts into the notebook's cells, as one
 * undo step; a cell whose source is no longer `source` (the user changed it)
 * is left alone. Returns how many cells got them; throws while cells run.
 */
export function applyOutputs(
  panel: NotebookPanel,
  cells: readonly ICellOutputs[]
): number {
  const blocker = restoreBlocker(panel);
  if (blocker) {
    throw new Error(blocker);
  }
  const shared = panel.content.model!.sharedModel;
  const undo = (
    shared as unknown as { undoManager?: { stopCapturing(): void } }
  ).undoManager;
  let applied = 0;
  undo?.stopCapturing();
  shared.transact(() => {
    for (const wanted of cells) {
      const cell = shared.cells.find(c => c.id === wanted.id);
      if (
        !cell ||
        cell.cell_type !== 'code' ||
        cell.getSource() !== wanted.source
      ) {
        continue;
      }
      const code = cell as unknown as ISharedCodeCell;
      code.setOutputs(wanted.outputs as never[]);
      code.execution_count = wanted.execution_count;
      applied++;
    }
  });
  undo?.stopCapturing();
  return applied;
}
