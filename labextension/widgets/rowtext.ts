/**
 * What a state's row says, in the user's words: what happened ("ran"), to
 * which cell as they know it ("cell 3", never its internal id), and who did it
 * when it was not the user themself ("by alice", "by a kernel client", "run on
 * the server", "from the shared document").
 */

import { TranslationBundle } from '@jupyterlab/translation';

import { IState } from '../tokens';

/**
 * "ran", "edited", "restored", "saved", "changed on disk".
 */
export function eventLabel(event: string, trans: TranslationBundle): string {
  switch (event) {
    case 'execute':
      return trans.__('ran');
    case 'edit':
      return trans.__('edited');
    case 'restore':
      return trans.__('restored');
    case 'save':
      return trans.__('saved');
    case 'external':
      return trans.__('changed on disk');
    default:
      return event;
  }
}

/**
 * The state's cell as the user knows it: its place among the state's cells
 * ("cell 3"); "not in a cell" for a run no cell holds (an agent's, a
 * console's); null when the state names no one cell.
 */
export function cellName(
  state: IState,
  trans: TranslationBundle
): string | null {
  if (state.cell_index !== null && state.cell_index !== undefined) {
    return trans.__('cell %1', state.cell_index + 1);
  }
  if (state.event === 'execute' && state.cell_id === null) {
    return trans.__('not in a cell');
  }
  return null;
}

/**
 * Who made the state, where the server knows and it was not `me` in a
 * browser: another user, a kernel client (an agent, a script), the server
 * (server-side execution) or the shared document. Null when it was the user.
 */
export function madeBy(
  state: IState,
  me: string | null,
  trans: TranslationBundle
): string | null {
  const other = state.by_user && state.by_user !== me ? state.by_user : null;
  switch (state.by_client) {
    case 'kernel client':
      return other
        ? trans.__('by a kernel client of %1', other)
        : trans.__('by a kernel client');
    case 'server':
      return other
        ? trans.__('run on the server by %1', other)
        : trans.__('run on the server');
    case 'document':
      return other
        ? trans.__('from the shared document, by %1', other)
        : trans.__('from the shared document');
    default:
      return other ? trans.__('by %1', other) : null;
  }
}

/**
 * The row's one-line text: the first line of the code run or the cell edited.
 * Restores recorded before cells were named by place said "restored cell
 * <id> of ..."; the id becomes the cell's place.
 */
export function previewOf(state: IState, trans: TranslationBundle): string {
  const name = cellName(state, trans);
  if (state.event === 'restore' && state.cell_id && name) {
    return state.preview.replace(`cell ${state.cell_id}`, name);
  }
  return state.preview;
}

/**
 * The tooltip of a row: the ids (for whoever needs them) and the full time.
 */
export function rowTitle(state: IState, trans: TranslationBundle): string {
  const lines = [
    trans.__('state %1', state.id),
    new Date(state.time).toLocaleString()
  ];
  if (state.cell_id) {
    lines.push(trans.__('cell id %1', state.cell_id));
  }
  return lines.join('\n');
}
