/**
 * Putting recorded content back into an open notebook: a whole state, one
 * cell, or the outputs of runs the document missed (catchup.ts), each as a
 * single undo step, and never while cells are running; after a restore, the
 * notice of what came back, which offers to re-run the cells.
 */

import { Notification } from '@jupyterlab/apputils';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { TranslationBundle } from '@jupyterlab/translation';
import type { ISharedCodeCell, ISharedNotebook } from '@jupyter/ydoc';

import { postRestore } from './api';
import { DocumentReporter } from './reporter';
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
  oneUndoStep(panel, shared => {
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
}

/**
 * Restore state `state` (or only its cell `cellId`) into `notebook`: the
 * document is reported first (what is replaced must be a state already),
 * `POST restore` records the restore, its cells go into the notebook, and a
 * notice says what came back and offers to re-run. Throws on failure.
 */
export async function restoreIntoNotebook(options: {
  notebook: NotebookPanel;
  path: string;
  state: string;
  cellId: string | null;
  reporter: DocumentReporter;
  trans: TranslationBundle;
  serverSettings?: ServerConnection.ISettings;
}): Promise<void> {
  const { notebook, state, cellId, reporter, trans } = options;
  await reporter.flush(notebook, 'restore');
  const reply = await postRestore(
    options.path,
    state,
    cellId,
    options.serverSettings
  );
  applyRestore(notebook, reply.cells, cellId);
  void reporter.flush(notebook, 'restore');
  // the cell by its place in the notebook, as the user knows it
  const place =
    notebook.content.widgets.findIndex(c => c.model.id === cellId) + 1;
  const what = cellId
    ? trans.__('Cell %1 restored from state %2.', place, state.slice(0, 8))
    : trans.__('State %1 restored.', state.slice(0, 8));
  Notification.info(
    `${what} ${trans.__('Sources and outputs are back; kernel variables are not.')}`,
    {
      autoClose: 12000,
      actions: [
        {
          label: cellId
            ? trans.__('Re-run the cell')
            : trans.__('Re-run all cells'),
          callback: () => void rerun(notebook, cellId)
        }
      ]
    }
  );
}

/** Run the restored cell, or every cell. */
async function rerun(
  notebook: NotebookPanel,
  cellId: string | null
): Promise<void> {
  const content = notebook.content;
  if (cellId === null) {
    await NotebookActions.runAll(content, notebook.sessionContext);
    return;
  }
  const index = content.widgets.findIndex(c => c.model.id === cellId);
  if (index >= 0) {
    content.activeCellIndex = index;
    content.deselectAll();
    await NotebookActions.run(content, notebook.sessionContext);
  }
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
  let applied = 0;
  oneUndoStep(panel, shared => {
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
  return applied;
}

/**
 * Make `edit` to the notebook's shared model in one transaction and one undo
 * step of its own; throws, before any change, while a restore is not possible.
 */
function oneUndoStep(
  panel: NotebookPanel,
  edit: (shared: ISharedNotebook) => void
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
  shared.transact(() => edit(shared));
  undo?.stopCapturing();
}
