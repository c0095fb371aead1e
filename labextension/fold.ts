/**
 * The quiet Timeline: an `edit` state that only prepared the run after it (the
 * code typed, then run as it was) is folded into that run's row. Nothing is
 * dropped: the folded edit stays in the row (`folded`), in the tree, and in
 * the Timeline once the user asks to see every edit.
 */

import type { ITimelineRow } from './model';
import { IState } from './tokens';

/**
 * Whether `edit` only prepared `run`: `run` is its child, ran the one cell the
 * edit changed, and ran exactly the edit's source of that cell with nothing
 * else changed in between (their sources are equal: `sources_key`).
 */
export function preparesRun(edit: IState, run: IState): boolean {
  return (
    edit.event === 'edit' &&
    run.event === 'execute' &&
    run.parent === edit.id &&
    edit.cell_id !== null &&
    run.cell_id === edit.cell_id &&
    !!edit.sources_key &&
    run.sources_key === edit.sources_key
  );
}

/**
 * The Timeline's rows (newest first) with each edit that only prepared the
 * run above it folded into that run's row. An edit stays a row of its own when
 * the user might look for it there: Head stands on it, it is labelled, or
 * another branch starts at it.
 */
export function foldEdits(rows: readonly ITimelineRow[]): ITimelineRow[] {
  const shown: ITimelineRow[] = [];
  for (const row of rows) {
    const above = shown[shown.length - 1];
    if (
      above &&
      !row.isHead &&
      !row.state.label &&
      row.otherBranches.length === 0 &&
      preparesRun(row.state, above.state)
    ) {
      shown[shown.length - 1] = {
        ...above,
        folded: [...above.folded, row.state]
      };
      continue;
    }
    shown.push(row);
  }
  return shown;
}
