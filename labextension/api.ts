/**
 * The only place the frontend talks HTTP to the jupyter-branch server
 * extension: one `requestAPI<T>()` plus one typed function per endpoint.
 *
 * Every failure becomes an `APIError` whose message is fit to show a user.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import {
  ICellHistory,
  IDiff,
  IDiffRequest,
  IDocumentCell,
  IDocumentReply,
  IDocumentReport,
  IExportNotebook,
  IExportReply,
  IExportRequest,
  IInfo,
  ILabelReply,
  ILabelRequest,
  INotebooks,
  IRestoreReply,
  IRestoreRequest,
  ISearchReply,
  IStateDetail,
  ITree
} from './tokens';

/**
 * The URL prefix of the server extension, below the server's base URL.
 */
export const API_NAMESPACE = 'jupyter-branch/api';

/**
 * Shown when the endpoint is missing altogether.
 */
export const NOT_INSTALLED_MESSAGE =
  'The jupyter-branch server extension is not installed or not enabled. ' +
  'Install the jupyter-branch Python package in the environment running ' +
  'Jupyter, then restart the server.';

/**
 * A failed request. `status` is the HTTP status, 0 when the server could not
 * be reached.
 */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'APIError';
  }
}

/**
 * Call the jupyter-branch REST API.
 *
 * @param endPoint path below `/jupyter-branch/api/`, query string included
 * @param init fetch options; non-GET requests get the XSRF token added by
 *   `ServerConnection.makeRequest`
 * @param settings server connection settings; defaults to the page's
 * @returns the parsed JSON body
 * @throws APIError with a plain-words message on any failure
 */
export async function requestAPI<T>(
  endPoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new APIError(
      `Could not reach the Jupyter server: ${(error as Error).message}`,
      0
    );
  }

  const text = await response.text();
  let body: unknown = undefined;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: an HTML error page from the server or a proxy.
    }
  }

  if (!response.ok) {
    const message = serverMessage(body);
    // Our handlers always answer errors with JSON {"message": ...}; a 404
    // without one comes from the Jupyter server itself: the route is missing.
    if (response.status === 404 && message === null) {
      throw new APIError(NOT_INSTALLED_MESSAGE, 404);
    }
    throw new APIError(
      message ??
        `The jupyter-branch server answered ${response.status} ${response.statusText}.`,
      response.status
    );
  }
  if (body === undefined) {
    throw new APIError(
      'The jupyter-branch server sent an answer that is not JSON.',
      response.status
    );
  }
  return body as T;
}

/**
 * `GET info`: version and store health of the server extension.
 */
export function getInfo(settings?: ServerConnection.ISettings): Promise<IInfo> {
  return requestAPI<IInfo>('info', {}, settings);
}

/**
 * `GET notebooks`: the user's notebooks with history, and those other users
 * shared with them (`shared: true`, named by their owner's absolute path).
 */
export function getNotebooks(
  settings?: ServerConnection.ISettings
): Promise<INotebooks> {
  return requestAPI<INotebooks>('notebooks', {}, settings);
}

/**
 * The query that names the history a read is about: the user's own notebook
 * at `path` (an API path), or, with `owner`, that owner's notebook at `path`
 * (their absolute path), which they shared with the user.
 */
function readQuery(
  path: string,
  owner: string | null | undefined,
  more: Record<string, string | number> = {}
): string {
  return URLExt.objectToQueryString(
    owner ? { owner, path, ...more } : { path, ...more }
  );
}

/**
 * `GET tree`: all states of the notebook at `path` (a Jupyter API path), or
 * those made after `since`. A notebook without history has no states. With
 * `owner`, the history that owner shared with the user (`path` is theirs).
 */
export function getTree(
  path: string,
  settings?: ServerConnection.ISettings,
  since = 0,
  owner?: string | null
): Promise<ITree> {
  const query = readQuery(path, owner, since ? { since } : {});
  return requestAPI<ITree>(`tree${query}`, {}, settings);
}

/**
 * `GET states/<id>`: one state (id or unique prefix) with its cells; with
 * `owner`, a state of the history that owner shared with the user.
 */
export function getState(
  path: string,
  state: string,
  settings?: ServerConnection.ISettings,
  owner?: string | null
): Promise<IStateDetail> {
  return requestAPI<IStateDetail>(
    `states/${encodeURIComponent(state)}${readQuery(path, owner)}`,
    {},
    settings
  );
}

/**
 * `GET cells/<cell_id>`: the newest `limit` versions of a cell, newest first,
 * and how many it has in all.
 */
export function getCellHistory(
  path: string,
  cellId: string,
  settings?: ServerConnection.ISettings,
  limit = 100
): Promise<ICellHistory> {
  const query = URLExt.objectToQueryString({ path, limit });
  return requestAPI<ICellHistory>(
    `cells/${encodeURIComponent(cellId)}${query}`,
    {},
    settings
  );
}

/**
 * `GET diff` between two states, or `POST diff` of a state against cells
 * (the open document) when `b` is a list of cells. With `owner`, two states
 * of the history that owner shared with the user (never the document: that
 * is the user's own).
 */
export function getDiff(
  path: string,
  a: string,
  b: string | IDocumentCell[],
  settings?: ServerConnection.ISettings,
  owner?: string | null
): Promise<IDiff> {
  if (typeof b === 'string') {
    return requestAPI<IDiff>(
      `diff${readQuery(path, owner, { a, b })}`,
      {},
      settings
    );
  }
  if (owner) {
    return Promise.reject(
      new APIError(
        `A state of ${owner}'s history can be compared with another of its states, not with your notebook.`,
        400
      )
    );
  }
  const body: IDiffRequest = { path, a, cells: b };
  return sendJSON<IDiff>('POST', 'diff', body, settings);
}

/**
 * `GET export`: a state as a clean nbformat 4.5 notebook, with or without
 * outputs; with `owner`, a state of the history that owner shared with the
 * user. Nothing is written: `postExport` writes next to the user's notebook.
 */
export function getExport(
  path: string,
  state: string,
  outputs: boolean,
  settings?: ServerConnection.ISettings,
  owner?: string | null
): Promise<IExportNotebook> {
  const query = readQuery(path, owner, { state, outputs: outputs ? 1 : 0 });
  return requestAPI<IExportNotebook>(`export${query}`, {}, settings);
}

/**
 * `POST restore`: record a restore of a state (or one of its cells) and get
 * the cells to put into the notebook.
 */
export function postRestore(
  path: string,
  state: string,
  cellId: string | null,
  settings?: ServerConnection.ISettings
): Promise<IRestoreReply> {
  const body: IRestoreRequest = { path, state, cell_id: cellId };
  return sendJSON<IRestoreReply>('POST', 'restore', body, settings);
}

/**
 * `POST export`: write a state as a new clean notebook next to the original.
 */
export function postExport(
  path: string,
  state: string,
  outputs: boolean,
  settings?: ServerConnection.ISettings
): Promise<IExportReply> {
  const body: IExportRequest = { path, state, outputs };
  return sendJSON<IExportReply>('POST', 'export', body, settings);
}

/**
 * `PUT labels`: set (or, with null, remove) a state's label. The reply has
 * the state's full id and the label as stored.
 */
export function putLabel(
  path: string,
  state: string,
  label: string | null,
  settings?: ServerConnection.ISettings
): Promise<ILabelReply> {
  const body: ILabelRequest = { path, state, label };
  return sendJSON<ILabelReply>('PUT', 'labels', body, settings);
}

/**
 * `GET search`: states whose code, markdown or text outputs match `query`.
 */
export function getSearch(
  path: string,
  query: string,
  settings?: ServerConnection.ISettings
): Promise<ISearchReply> {
  const qs = URLExt.objectToQueryString({ path, q: query });
  return requestAPI<ISearchReply>(`search${qs}`, {}, settings);
}

function sendJSON<T>(
  method: 'POST' | 'PUT',
  endPoint: string,
  body: unknown,
  settings?: ServerConnection.ISettings
): Promise<T> {
  return requestAPI<T>(
    endPoint,
    {
      method,
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' }
    },
    settings
  );
}

/**
 * `POST document`: report the cells of an open notebook.
 */
export function postDocument(
  report: IDocumentReport,
  settings?: ServerConnection.ISettings
): Promise<IDocumentReply> {
  return sendJSON<IDocumentReply>('POST', 'document', report, settings);
}

/**
 * The `message` of a JSON error body, or null if there is none.
 */
function serverMessage(body: unknown): string | null {
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    if (typeof message === 'string' && message.length > 0) {
      return message;
    }
  }
  return null;
}
