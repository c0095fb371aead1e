/**
 * Names shared across the frontend: command ids, and the wire format of the
 * jupyter-branch REST API (`/jupyter-branch/api/...`).
 *
 * The wire types are generated from the server's JSON schema
 * (jupyter_branch/rest-api.schema.json) into `wire.ts`, snake_case included,
 * so a field renamed on one side shows up as a type error here rather than as
 * a silent `undefined` at runtime; a test fails when `wire.ts` is stale.
 */

export * from './wire';

/**
 * Command ids registered by the extension.
 */
export const CommandIDs = {
  openPanel: 'jupyter-branch:open-panel',
  refresh: 'jupyter-branch:refresh',
  toggleTree: 'jupyter-branch:toggle-tree',
  search: 'jupyter-branch:search',
  openState: 'jupyter-branch:open-state',
  diffState: 'jupyter-branch:diff-state',
  diffStates: 'jupyter-branch:diff-states',
  compareRuns: 'jupyter-branch:compare-runs',
  compareStates: 'jupyter-branch:compare-states',
  restoreState: 'jupyter-branch:restore-state',
  restoreCell: 'jupyter-branch:restore-cell',
  exportState: 'jupyter-branch:export-state',
  exportStateNoOutputs: 'jupyter-branch:export-state-no-outputs',
  labelState: 'jupyter-branch:label-state',
  cellHistory: 'jupyter-branch:cell-history'
} as const;

/**
 * Why the frontend reports a document now. Not sent: the server records a
 * report the same way whatever prompted it.
 */
export type ReportReason =
  'open' | 'idle' | 'execute' | 'undo' | 'save' | 'restore';
