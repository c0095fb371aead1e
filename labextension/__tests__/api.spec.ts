/**
 * Tests of the REST client: URLs, request bodies, and how failures are turned
 * into messages a user can read.
 */

import { ServerConnection } from '@jupyterlab/services';

import {
  APIError,
  getDiff,
  getExport,
  getNotebooks,
  getState,
  getTree,
  NOT_INSTALLED_MESSAGE,
  postDocument,
  requestAPI
} from '../api';
import { IDocumentReport } from '../tokens';

const settings = ServerConnection.makeSettings({
  baseUrl: 'http://localhost:8888/lab-base/'
});

function answer(status: number, body: string, statusText = ''): Response {
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText,
    text: async () => body
  } as unknown as Response;
}

/** The APIError a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<APIError> {
  try {
    await promise;
  } catch (error) {
    return error as APIError;
  }
  throw new Error('the request did not fail');
}

describe('requestAPI', () => {
  let makeRequest: jest.SpyInstance;

  beforeEach(() => {
    makeRequest = jest.spyOn(ServerConnection, 'makeRequest');
  });

  afterEach(() => {
    makeRequest.mockRestore();
  });

  it('calls the endpoint below the server base URL and parses JSON', async () => {
    makeRequest.mockResolvedValue(answer(200, '{"ok": true}'));
    const data = await requestAPI<{ ok: boolean }>('info', {}, settings);
    expect(data).toEqual({ ok: true });
    expect(makeRequest.mock.calls[0][0]).toBe(
      'http://localhost:8888/lab-base/jupyter-branch/api/info'
    );
  });

  it('says the server extension is missing on a bare 404', async () => {
    makeRequest.mockResolvedValue(
      answer(404, '<html><body>404 : Not Found</body></html>', 'Not Found')
    );
    const error = await failure(requestAPI('info', {}, settings));
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(404);
    expect(error.message).toBe(NOT_INSTALLED_MESSAGE);
    expect(error.message).toMatch(/not installed or not enabled/);
  });

  it("surfaces the server's message on a JSON error", async () => {
    makeRequest.mockResolvedValue(
      answer(503, '{"message": "The history store is unavailable: disk full"}')
    );
    const error = await failure(requestAPI('info', {}, settings));
    expect(error.status).toBe(503);
    expect(error.message).toBe('The history store is unavailable: disk full');
  });

  it('keeps a 404 that carries a message: the extension is there', async () => {
    makeRequest.mockResolvedValue(
      answer(404, '{"message": "no state abcd in a.ipynb"}')
    );
    const error = await failure(getState('a.ipynb', 'abcd', settings));
    expect(error.status).toBe(404);
    expect(error.message).toBe('no state abcd in a.ipynb');
  });

  it('reports an unreachable server in words', async () => {
    makeRequest.mockRejectedValue(new TypeError('Failed to fetch'));
    const error = await failure(requestAPI('info', {}, settings));
    expect(error.status).toBe(0);
    expect(error.message).toMatch(/Could not reach the Jupyter server/);
  });
});

describe('endpoint functions', () => {
  let makeRequest: jest.SpyInstance;

  beforeEach(() => {
    makeRequest = jest.spyOn(ServerConnection, 'makeRequest');
  });

  afterEach(() => {
    makeRequest.mockRestore();
  });

  it('getTree encodes the notebook path as a query parameter', async () => {
    makeRequest.mockResolvedValue(
      answer(200, '{"notebook": "x", "head": null, "states": []}')
    );
    await getTree('work dir/a&b.ipynb', settings);
    expect(makeRequest.mock.calls[0][0]).toBe(
      'http://localhost:8888/lab-base/jupyter-branch/api/tree?path=work%20dir%2Fa%26b.ipynb'
    );
  });

  it('postDocument POSTs the report as JSON', async () => {
    makeRequest.mockResolvedValue(
      answer(200, '{"head": "s1", "created": true, "moved": false}')
    );
    const report: IDocumentReport = {
      path: 'a.ipynb',
      cells: [{ id: 'c1', cell_type: 'code', source: 'x = 1' }]
    };
    const reply = await postDocument(report, settings);
    expect(reply).toEqual({ head: 's1', created: true, moved: false });
    const [url, init] = makeRequest.mock.calls[0];
    expect(url).toBe(
      'http://localhost:8888/lab-base/jupyter-branch/api/document'
    );
    expect(init.method).toBe('POST');
    expect(JSON.parse(init.body)).toEqual(report);
  });
  const API = 'http://localhost:8888/lab-base/jupyter-branch/api';
  const bob = '/home/bob/work/train.ipynb';

  /** The URL of the request made, and its query as a map. */
  function requested(): { endpoint: string; query: Record<string, string> } {
    const url = new URL(makeRequest.mock.calls[0][0]);
    const query: Record<string, string> = {};
    url.searchParams.forEach((value, key) => (query[key] = value));
    return { endpoint: url.href.slice(API.length + 1).split('?')[0], query };
  }

  it('getNotebooks lists notebooks, shared ones included', async () => {
    const body = {
      notebooks: [
        {
          path: bob,
          owner: 'bob',
          shared: true,
          states: 3,
          last: null,
          head: null,
          deleted: null
        }
      ]
    };
    makeRequest.mockResolvedValue(answer(200, JSON.stringify(body)));
    expect(await getNotebooks(settings)).toEqual(body);
    expect(makeRequest.mock.calls[0][0]).toBe(`${API}/notebooks`);
  });

  it("reads another owner's shared history with owner and their path", async () => {
    makeRequest.mockResolvedValue(answer(200, '{}'));
    await getTree(bob, settings, 7, 'bob');
    expect(requested()).toEqual({
      endpoint: 'tree',
      query: { owner: 'bob', path: bob, since: '7' }
    });

    makeRequest.mockClear();
    await getState(bob, 'abc123', settings, 'bob');
    expect(requested()).toEqual({
      endpoint: 'states/abc123',
      query: { owner: 'bob', path: bob }
    });

    makeRequest.mockClear();
    await getDiff(bob, 'aa11', 'bb22', settings, 'bob');
    expect(requested()).toEqual({
      endpoint: 'diff',
      query: { owner: 'bob', path: bob, a: 'aa11', b: 'bb22' }
    });
    expect(makeRequest.mock.calls[0][1].method).toBeUndefined();

    makeRequest.mockClear();
    await getExport(bob, 'aa11', false, settings, 'bob');
    expect(requested()).toEqual({
      endpoint: 'export',
      query: { owner: 'bob', path: bob, state: 'aa11', outputs: '0' }
    });
  });

  it("sends no owner for the user's own history", async () => {
    makeRequest.mockResolvedValue(answer(200, '{}'));
    await getState('a.ipynb', 'abc', settings);
    await getExport('a.ipynb', 'abc', true, settings, null);
    expect(makeRequest.mock.calls.map(c => c[0])).toEqual([
      `${API}/states/abc?path=a.ipynb`,
      `${API}/export?path=a.ipynb&state=abc&outputs=1`
    ]);
  });

  it('never sends the open document to compare with a shared history', async () => {
    const error = await failure(
      getDiff(bob, 'aa11', [{ id: 'c1', cell_type: 'code' }], settings, 'bob')
    );
    expect(error.message).toMatch(/bob's history/);
    expect(makeRequest).not.toHaveBeenCalled();
  });
});
