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
  refresh: 'jupyter-branch:refresh'
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
}

/**
 * `GET info`: server extension version and health.
 */
export interface IInfo {
  version: string;
  store: IStoreInfo;
  ok: boolean;
  message: string | null;
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
  /** ISO-8601 timestamp. */
  time: string;
  event: StateEvent;
  cell_id: string | null;
  execution_count: number | null;
  status: string | null;
  preview: string;
  label: string | null;
  duration_ms: number | null;
}

/**
 * `GET tree?path=...`: every state of one notebook, oldest first.
 */
export interface ITree {
  notebook: string;
  head: string | null;
  states: IState[];
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
