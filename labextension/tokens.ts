/**
 * Names shared across the frontend: command ids and the wire format of the
 * jupyter-branch REST API (`/jupyter-branch/api/...`).
 *
 * The interfaces mirror the server's JSON exactly, snake_case included, so a
 * field renamed on one side shows up as a type error here rather than as a
 * silent `undefined` at runtime.
 */

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
  restoreState: 'jupyter-branch:restore-state',
  restoreCell: 'jupyter-branch:restore-cell',
  exportState: 'jupyter-branch:export-state',
  exportStateNoOutputs: 'jupyter-branch:export-state-no-outputs',
  labelState: 'jupyter-branch:label-state',
  cellHistory: 'jupyter-branch:cell-history'
} as const;

/**
 * The store behind the server extension, as reported by `GET info`.
 */
export interface IStoreInfo {
  url: string;
  path: string | null;
  size_bytes: number;
  notebooks: number;
  states: number;
  content_bytes: number;
  stored_bytes: number;
}

/**
 * `GET info`: server extension version and health.
 */
export interface IInfo {
  version: string;
  store: IStoreInfo | null;
  ok: boolean;
  message: string | null;
  writer: { backlog: number; committed: number; refused: number };
}

/**
 * What made the server record a state.
 */
export type StateEvent = 'execute' | 'edit' | 'restore' | 'save' | 'external';

/**
 * One recorded notebook state.
 */
export interface IState {
  id: string;
  parent: string | null;
  /** Order of creation within the notebook (parents before children). */
  seq: number;
  /** ISO-8601 timestamp. */
  time: string;
  event: StateEvent;
  cell_id: string | null;
  execution_count: number | null;
  status: string | null;
  preview: string;
  label: string | null;
  duration_ms: number | null;
  restored_from: string | null;
}

/**
 * An nbformat output, as recorded.
 */
export interface IOutput {
  output_type: string;
  [key: string]: unknown;
}

/**
 * One cell of a state (nbformat 4 shape, source as one string).
 */
export interface IStateCell {
  id: string;
  cell_type: CellType;
  source: string;
  metadata: Record<string, unknown>;
  outputs?: IOutput[];
  execution_count?: number | null;
}

/**
 * `GET states/<id>`: one state with its cells (and, for an execution, what ran).
 */
export interface IStateDetail extends IState {
  metadata: Record<string, unknown>;
  cells: IStateCell[];
  kernel_id: string | null;
  started: string | null;
  ended: string | null;
  code?: string | null;
  outputs?: IOutput[];
}

/**
 * `GET cells/<cell_id>`: every version of one cell, newest first.
 */
export interface ICellHistory {
  notebook: string;
  cell_id: string;
  versions: { state: IState; cell: IStateCell }[];
  /** How many versions the cell has in all (`versions` holds the newest). */
  total: number;
}

/**
 * One cell's entry in a diff.
 */
export interface IDiffCell {
  cell_id: string;
  cell_type: CellType;
  change: 'added' | 'removed' | 'modified' | 'moved' | 'unchanged';
  source_diff: string[];
  outputs_changed: boolean;
  outputs_diff: string[];
  source_a: string | null;
  source_b: string | null;
}

/**
 * `GET diff` / `POST diff`: differences from state `a` to `b` (null: the document).
 */
export interface IDiff {
  a: string;
  b: string | null;
  cells: IDiffCell[];
}

/**
 * `POST restore`: the restore state made and the cells to put in the notebook.
 */
export interface IRestoreReply {
  state: string;
  cells: IStateCell[];
}

/**
 * `POST export`: where the new notebook was written.
 */
export interface IExportReply {
  path: string;
  state: string;
  outputs: boolean;
}

/**
 * `GET search`: matches, newest first.
 */
export interface ISearchReply {
  notebook: string;
  query: string;
  matches: ISearchMatch[];
}

export interface ISearchMatch {
  state: IState;
  cell_id: string;
  cell_type: CellType;
  where: 'source' | 'outputs';
  snippet: string;
}

/**
 * `GET tree?path=...`: every state of one notebook, oldest first.
 */
export interface ITree {
  notebook: string;
  head: string | null;
  states: IState[];
  /** Executions still running, with their outputs so far kept on the server. */
  running?: {
    key: string;
    cell_id: string | null;
    preview: string;
    started: string;
  }[];
}

/**
 * Cell types as nbformat names them.
 */
export type CellType = 'code' | 'markdown' | 'raw';

/**
 * One cell as the frontend reports it: identity, type and source only.
 */
export interface IReportedCell {
  id: string;
  cell_type: CellType;
  source: string;
}

/**
 * Why the frontend sent a document report.
 */
export type ReportReason = 'idle' | 'execute' | 'undo' | 'save' | 'restore';

/**
 * `POST document` body: the open notebook's cells as the user sees them.
 */
export interface IDocumentReport {
  path: string;
  cells: IReportedCell[];
  reason: ReportReason;
}

/**
 * `POST document` reply: the notebook's head and whether a state was created.
 */
export interface IDocumentReply {
  head: string | null;
  created: boolean;
}
