/**
 * The wire format of the jupyter-branch REST API, as TypeScript types.
 *
 * Generated from jupyter_branch/rest-api.schema.json by
 * scripts/wire-types.js: do not edit, run `jlpm build:wire`.
 */

/**
 * What made a state.
 *
 * Schema: `#/$defs/event`.
 */
export type StateEvent = 'execute' | 'edit' | 'restore' | 'save' | 'external';

/**
 * Schema: `#/$defs/cell_type`.
 */
export type CellType = 'code' | 'markdown' | 'raw';

/**
 * GET states/<id or prefix>: a state summary plus its content.
 *
 * Schema: `#/$defs/state_detail`.
 */
export type IStateDetail = IState & {
  /**
   * notebook metadata
   */
  metadata: {
    [k: string]: unknown;
  };
  cells: IStateCell[];
  kernel_id: string | null;
  started: string | null;
  ended: string | null;

  /**
   * execute only: the code as run
   */
  code?: string | null;

  /**
   * execute only: the outputs of the run
   */
  outputs?: IOutput[];
};

/**
 * A line diff, ready to show as it is: each item is one line. ' ' + a line of both texts, '-' + a line of a only, '+' + a line of b only, '@@ -l,n +l,n @@' a hunk header (a unified diff with 3 lines of context, without its ---/+++ header). Texts are split at each newline; a final newline ends the last line and adds no empty one; the empty text has no lines. When one side has no lines (an added or removed cell, outputs that appear or go), the other's are all listed, without a hunk header. A final newline counts only when it is the one difference: then the last line is shown removed and added, followed on the side without it by the line '\ No newline at end of file', as git shows it.
 *
 * Schema: `#/$defs/diff_lines`.
 */
export type DiffLines = string[];

/**
 * One cell of the open document as nbformat gives it, with its outputs (code cells).
 *
 * Schema: `#/$defs/document_cell`.
 */
export type IDocumentCell = IReportedCell & {
  /**
   * nbformat outputs; texts may be lists of strings
   */
  outputs?: {
    [k: string]: unknown;
  }[];
  execution_count?: number | null;
};

/**
 * Every 4xx/5xx answer: a plain-words reason.
 *
 * Schema: `#/$defs/error`.
 */
export interface IErrorReply {
  message: string;
}

/**
 * GET info: version, health of the writer and what the store holds.
 *
 * Schema: `#/$defs/info`.
 */
export interface IInfo {
  version: string;

  /**
   * what this server lets jupyter-branch record, and what not, in plain words
   */
  coverage: {
    sees: string[];
    misses: string[];
  };

  /**
   * false when the store is failing; message says why
   */
  ok: boolean;
  message: string | null;
  writer: {
    backlog: number;
    committed: number;
    refused: number;
  };

  /**
   * null when the store cannot be read
   */
  store: IStoreInfo | null;
}

/**
 * Schema: `#/$defs/store_info`.
 */
export interface IStoreInfo {
  /**
   * whose history this server records; the counts are theirs
   */
  owner: string;

  /**
   * SQLAlchemy URL of the store, its password masked
   */
  url: string;

  /**
   * database file, null if not a SQLite file
   */
  path: string | null;
  size_bytes: number;
  notebooks: number;
  states: number;
  cell_versions: number;
  blobs: number;
  content_bytes: number;
  stored_bytes: number;
  running: number;
}

/**
 * GET notebooks: every notebook with history under the server root, by path, and those other users shared with you (shared: true, by their owner's absolute path).
 *
 * Schema: `#/$defs/notebooks`.
 */
export interface INotebooks {
  notebooks: INotebookSummary[];
}

/**
 * One notebook with history: yours, or one another user shared with you (read it with ?owner=<owner>&path=<path>).
 *
 * Schema: `#/$defs/notebook_summary`.
 */
export interface INotebookSummary {
  /**
   * API path relative to the server root; for a shared history, its owner's absolute path
   */
  path: string;

  /**
   * whose history it is
   */
  owner: string;

  /**
   * another user's, shared with you read-only
   */
  shared: boolean;
  states: number;
  last: string | null;
  head: string | null;

  /**
   * when it was deleted in Jupyter
   */
  deleted: string | null;
}

/**
 * One state as listed in a tree or a cell history.
 *
 * Schema: `#/$defs/state_summary`.
 */
export interface IState {
  id: string;
  parent: string | null;

  /**
   * order of creation within the notebook
   */
  seq: number;
  time: string;
  event: StateEvent;
  cell_id: string | null;

  /**
   * where cell_id sits in the state's cells, from 0 (show it as "cell <cell_index + 1>"); null without a cell_id
   */
  cell_index: number | null;
  execution_count: number | null;

  /**
   * execute only: ok, error, aborted, interrupted, died, incomplete
   */
  status: string | null;
  duration_ms: number | null;
  preview: string;
  label: string | null;
  restored_from: string | null;

  /**
   * who made it (the Jupyter user of the request), where the server knows
   */
  by_user: string | null;

  /**
   * through what: a browser's notebook; a client of the kernel naming no cell (an agent, a script, another editor); a cell run on the server; the server's copy of the document; null where unknown
   */
  by_client: 'browser' | 'kernel client' | 'server' | 'document' | null;

  /**
   * a fingerprint of the state's sources (cell order, types and texts; not outputs, not ids): two states of a notebook with equal sources have equal keys
   */
  sources_key: string;
}

/**
 * One cell of a state, shaped as an nbformat 4 cell (source as one string).
 *
 * Schema: `#/$defs/cell`.
 */
export interface IStateCell {
  id: string;
  cell_type: CellType;
  source: string;
  metadata: {
    [k: string]: unknown;
  };
  outputs?: IOutput[];
  execution_count?: number | null;
}

/**
 * An nbformat 4 output.
 *
 * Schema: `#/$defs/output`.
 */
export interface IOutput {
  output_type: 'stream' | 'display_data' | 'execute_result' | 'error';
  [k: string]: unknown;
}

/**
 * GET tree: a notebook's states, oldest first.
 *
 * Schema: `#/$defs/tree`.
 */
export interface ITree {
  /**
   * the path as requested
   */
  notebook: string;
  head: string | null;
  states: IState[];

  /**
   * executions still running, with their outputs so far kept on the server
   */
  running: IRunningExecution[];

  /**
   * the notebook was deleted in Jupyter
   */
  deleted: boolean;
}

/**
 * Schema: `#/$defs/running_execution`.
 */
export interface IRunningExecution {
  key: string;
  cell_id: string | null;

  /**
   * the start of the code, one line
   */
  preview: string;
  started: string | null;
}

/**
 * GET cells/<cell_id>: every version of one cell, newest first.
 *
 * Schema: `#/$defs/cell_history`.
 */
export interface ICellHistory {
  notebook: string;
  cell_id: string;

  /**
   * versions the cell has in all
   */
  total: number;
  versions: {
    state: IState;
    cell: IStateCell;
  }[];
}

/**
 * GET search: where the query is found in history, newest first.
 *
 * Schema: `#/$defs/search`.
 */
export interface ISearchReply {
  /**
   * the path as requested; null when every notebook was searched
   */
  notebook: string | null;

  /**
   * the query as searched (trimmed)
   */
  query: string;
  matches: ISearchMatch[];
}

/**
 * One state and cell whose source or outputs hold the query.
 *
 * Schema: `#/$defs/search_match`.
 */
export interface ISearchMatch {
  /**
   * API path of the notebook
   */
  notebook: string;
  state: IState;
  cell_id: string;
  cell_type: CellType;

  /**
   * source if the cell's source matches, else outputs
   */
  where: 'source' | 'outputs';

  /**
   * one line of the matching text around the first match
   */
  snippet: string;
}

/**
 * GET export: a clean nbformat 4.5 notebook (validate it with nbformat for the full rules).
 *
 * Schema: `#/$defs/export_notebook`.
 */
export interface IExportNotebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: {
    [k: string]: unknown;
  };
  cells: unknown[];
}

/**
 * POST export (201): the new notebook written next to the original.
 *
 * Schema: `#/$defs/export_post`.
 */
export interface IExportReply {
  /**
   * API path of the new file
   */
  path: string;
  state: string;
  outputs: boolean;
}

/**
 * GET diff: cell by cell, in b's order then cells only in a.
 *
 * Schema: `#/$defs/diff`.
 */
export interface IDiff {
  a: string;
  b: string | null;
  cells: IDiffCell[];
}

/**
 * One cell of a diff.
 *
 * Schema: `#/$defs/diff_cell`.
 */
export interface IDiffCell {
  cell_id: string;
  cell_type: CellType;
  change: 'added' | 'removed' | 'modified' | 'moved' | 'unchanged';

  /**
   * the source's line diff, empty if equal
   */
  source_diff: DiffLines;
  outputs_changed: boolean;

  /**
   * the line diff of the outputs as text (streams, text/plain, errors; other data by type and size), empty if equal as text
   */
  outputs_diff: DiffLines;

  /**
   * null if the cell is only in b
   */
  source_a: string | null;

  /**
   * null if the cell is only in a
   */
  source_b: string | null;
}

/**
 * POST document: what the report did. At most one of created and moved is true.
 *
 * Schema: `#/$defs/document`.
 */
export interface IDocumentReply {
  head: string | null;

  /**
   * a new edit state was made (and is head)
   */
  created: boolean;

  /**
   * head moved to an earlier state with the same sources
   */
  moved: boolean;

  /**
   * whose cells were recorded: the report's (browser), or, where the server holds the notebook as a document (real-time collaboration), the server's copy read when the report came (server)
   */
  source: 'browser' | 'server';
}

/**
 * POST restore: the new restore state (now head) and its cells.
 *
 * Schema: `#/$defs/restore`.
 */
export interface IRestoreReply {
  state: string;
  cells: IStateCell[];
}

/**
 * PUT labels: the state and its label as stored.
 *
 * Schema: `#/$defs/label`.
 */
export interface ILabelReply {
  /**
   * the full id of the state named in the request
   */
  state: string;

  /**
   * the label as stored: trimmed, null when cleared
   */
  label: string | null;

  /**
   * the state was found and its label set
   */
  changed: boolean;
}

/**
 * A message of the live websocket (GET live): a notebook's history changed. Of the new states and Head moves one commit made, only each notebook's last is told; every label change is.
 *
 * Schema: `#/$defs/live_change`.
 */
export interface ILiveChange {
  /**
   * state: a new state (Head now); head: Head moved to an earlier state (ctrl-z back to it, a restore); label: a state's label changed
   */
  action: 'state' | 'head' | 'label';

  /**
   * the notebook's API path under the server root
   */
  path: string;

  /**
   * the state made, moved to, or labelled
   */
  state: string;

  /**
   * for a new state: what made it
   */
  event?: StateEvent;

  /**
   * for a label change: the state's label now (null: removed)
   */
  label?: string | null;
}

/**
 * One cell of the open document: identity, type and source.
 *
 * Schema: `#/$defs/reported_cell`.
 */
export interface IReportedCell {
  id: string;
  cell_type: CellType;

  /**
   * one string or a list of strings (joined); none is the empty text
   */
  source?: string | string[];
}

/**
 * POST document: the open document's cells, in order. Cell ids must not repeat (checked by the server, not by this schema).
 *
 * Schema: `#/$defs/document_request`.
 */
export interface IDocumentReport {
  /**
   * only notebooks have a history
   */
  path: string;
  cells: IReportedCell[];
}

/**
 * POST diff: a state against the open document.
 *
 * Schema: `#/$defs/diff_request`.
 */
export interface IDiffRequest {
  path: string;
  a: string;
  cells: IDocumentCell[];
}

/**
 * POST restore: a whole state, or one cell of it, into the document.
 *
 * Schema: `#/$defs/restore_request`.
 */
export interface IRestoreRequest {
  path: string;
  state: string;

  /**
   * only this cell; null or none for the whole state
   */
  cell_id?: string | null;
}

/**
 * PUT labels: set or clear a state's label.
 *
 * Schema: `#/$defs/label_request`.
 */
export interface ILabelRequest {
  path: string;
  state: string;

  /**
   * trimmed when stored; null, none or blank clears the label
   */
  label?: string | null;
}

/**
 * POST export: write a state as a new notebook next to the original.
 *
 * Schema: `#/$defs/export_request`.
 */
export interface IExportRequest {
  path: string;
  state: string;

  /**
   * false: leave outputs out
   */
  outputs?: boolean;
}
