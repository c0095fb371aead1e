/**
 * The only place the frontend talks HTTP to the jupyter-branch server
 * extension: one `requestAPI<T>()` plus one typed function per endpoint.
 *
 * Every failure becomes an `APIError` whose message is fit to show a user.
 */

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IDocumentReply, IDocumentReport, IInfo, ITree } from './tokens';

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
 * `GET tree`: all states of the notebook at `path` (a Jupyter API path).
 *
 * @throws APIError with status 404 if the notebook has no history yet
 */
export function getTree(
  path: string,
  settings?: ServerConnection.ISettings
): Promise<ITree> {
  const query = URLExt.objectToQueryString({ path });
  return requestAPI<ITree>(`tree${query}`, {}, settings);
}

/**
 * `POST document`: report the cells of an open notebook.
 */
export function postDocument(
  report: IDocumentReport,
  settings?: ServerConnection.ISettings
): Promise<IDocumentReply> {
  return requestAPI<IDocumentReply>(
    'document',
    {
      method: 'POST',
      body: JSON.stringify(report),
      headers: { 'Content-Type': 'application/json' }
    },
    settings
  );
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
