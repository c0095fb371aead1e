/**
 * The compatibility scenarios, shared by every setup's spec: what a user does
 * in the browser (open a notebook, type, run, pause, restore from the history
 * panel) and what they must then find in the history, read through the REST
 * API with the server's token (docs/rest-api.md):
 *
 * - every run is an `execute` state of the cell that ran (its id as the page's
 *   notebook model has it), once, with the run's outputs;
 * - opening a notebook makes no state, and an edit followed by a pause makes
 *   one `edit` state, not one from the browser and another from the server;
 * - a restore brings back the outputs of the run restored, in the notebook;
 * - a setup's own scenarios (`more`: Notebook 7's panel, compat/timeline.ts);
 * - the server log has no 5xx answer and no traceback.
 *
 * scripts/compat.py starts the server and passes it in COMPAT_* variables.
 */
import * as fs from 'fs';
import {
  APIRequestContext,
  expect,
  Page,
  Request,
  test as base
} from '@playwright/test';

import { API, getState, getTree, IStateDetail, ITree } from '../tests/history';

export const TOKEN = process.env.COMPAT_TOKEN ?? '';
export const APP = process.env.COMPAT_APP ?? 'lab';
export const SERVER_LOG = process.env.COMPAT_SERVER_LOG ?? '';

/** Waits for what the history must show sooner or later (a run is recorded when it ends). */
export const RECORDED = { timeout: 30_000 };

/**
 * How long the history must stay unchanged before it counts as settled: longer
 * than every delay between a change and the state it makes (the browser reports
 * an edit after 2 s idle, collaborative servers save about 1 s after a change),
 * so that a second state made for the same change would have shown by then.
 */
export const QUIET_MS = 5_000;

/** A server log line that is a 5xx answer, or a traceback (as scripts/compat.py). */
const BAD_LOG_LINE =
  /\b5\d\d (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) |Traceback \(most recent call last\)/;

/**
 * The test fixtures, plus `api`: requests with the server's token, as a script
 * sends them; and `pages`: the browsers of a scenario, the test's page and, with
 * the option `browsers: 2`, a page in a second browser context (another user).
 */
export const test = base.extend<{
  api: APIRequestContext;
  browsers: 1 | 2;
  pages: Page[];
}>({
  api: async ({ playwright, baseURL }, use) => {
    const api = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: { Authorization: `token ${TOKEN}` }
    });
    await use(api);
    await api.dispose();
  },
  browsers: [1, { option: true }],
  pages: async ({ page, browser, browsers }, use) => {
    if (browsers === 1) {
      await use([page]);
      return;
    }
    const other = await browser.newContext();
    await use([page, await other.newPage()]);
    await other.close();
  }
});
export { expect };

/** What the setup's spec says about it. */
export interface ISetupOptions {
  /** Browsers editing and running in the same notebook at once (2: real-time collaboration). */
  browsers: 1 | 2;
  /**
   * How the frontend sends a run: over the kernel websocket (`execute_request`
   * with `metadata.cellId`), or as `POST /api/kernels/<id>/execute` (server-side
   * execution). The specs check the setup really runs cells that way.
   */
  runsBy: 'websocket' | 'execute-request';
  /**
   * Whether the notebook lives on the server as a shared document (real-time
   * collaboration): the page's notebook model is then `collaborative`.
   */
  documentOnServer: boolean;
  /**
   * More scenarios of this setup's own (declared after the shared ones, before
   * the server log check), e.g. the history panel's views in Notebook 7.
   */
  more?: (setup: string, options: ISetupOptions) => void;
}

// -- the notebook in the page -------------------------------------------------------

/** The notebook's cells as the page's notebook model holds them. */
export interface IPageCell {
  id: string;
  cell_type: string;
  source: string;
}

/** A new notebook in the server's root with `sources` as code cells; returns its path. */
export async function createNotebook(
  api: APIRequestContext,
  name: string,
  sources: string[]
): Promise<string> {
  const path = `${name}-${Date.now().toString(36)}.ipynb`;
  const cells = sources.map((source, i) => ({
    id: `${name}-cell-${i}`,
    cell_type: 'code',
    source,
    metadata: {},
    outputs: [],
    execution_count: null
  }));
  const response = await api.put(`/api/contents/${path}`, {
    data: {
      type: 'notebook',
      format: 'json',
      content: {
        cells,
        metadata: {
          kernelspec: {
            name: 'python3',
            display_name: 'Python 3 (ipykernel)',
            language: 'python'
          }
        },
        nbformat: 4,
        nbformat_minor: 5
      }
    }
  });
  expect(response.status(), await response.text()).toBeLessThan(300);
  return path;
}

/**
 * Open the notebook as a user does (Lab: /lab/tree/..., Notebook 7:
 * /notebooks/...), logging in with the token; wait until its cells are shown
 * and it has a kernel.
 */
export async function openNotebook(
  page: Page,
  path: string,
  options: ISetupOptions
): Promise<void> {
  const where = APP === 'notebook' ? 'notebooks' : 'lab/tree';
  await page.goto(`/${where}/${path}?token=${TOKEN}`);
  // the setup's own page, not a redirect elsewhere (Notebook 7 to /notebooks/...)
  expect(new URL(page.url()).pathname).toBe(`/${where}/${path}`);
  await page.waitForFunction(() => !!(window as any).jupyterapp, null, {
    timeout: 60_000
  });
  await expect(cells(page).first()).toBeVisible({ timeout: 60_000 });
  await expect
    .poll(() => kernelId(page, path), { timeout: 60_000 })
    .not.toBeNull();
  // the setup under test: the document is shared through the server, or not
  const collaborative = await page.evaluate(p => {
    const app = (window as any).jupyterapp;
    for (const w of app.shell.widgets('main')) {
      if (w.context?.localPath === p) {
        return !!w.context.model.collaborative;
      }
    }
    return null;
  }, path);
  expect(collaborative, 'the notebook model is collaborative').toBe(
    options.documentOnServer
  );
}

/** The id of the notebook's kernel as the page knows it, or null. */
export async function kernelId(
  page: Page,
  path: string
): Promise<string | null> {
  return page.evaluate(p => {
    const app = (window as any).jupyterapp;
    for (const w of app.shell.widgets('main')) {
      if (w.context?.localPath === p) {
        return w.sessionContext?.session?.kernel?.id ?? null;
      }
    }
    return null;
  }, path);
}

/** The notebook's cells (id, type, source) from the page's notebook model. */
export async function pageCells(
  page: Page,
  path: string
): Promise<IPageCell[]> {
  return page.evaluate(p => {
    const app = (window as any).jupyterapp;
    for (const w of app.shell.widgets('main')) {
      if (w.context?.localPath === p) {
        const model = w.content.model;
        const found = [];
        for (let i = 0; i < model.cells.length; i++) {
          const cell = model.cells.get(i);
          found.push({
            id: cell.id,
            cell_type: cell.type,
            source: cell.sharedModel.getSource()
          });
        }
        return found;
      }
    }
    throw new Error(`${p} is not open in this page`);
  }, path);
}

function cells(page: Page) {
  return page.locator(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell'
  );
}

export function cellEditor(page: Page, index: number) {
  return cells(page).nth(index).locator('.jp-InputArea-editor .cm-content');
}

export function cellOutput(page: Page, index: number) {
  return cells(page).nth(index).locator('.jp-OutputArea-output');
}

/** Replace cell `index`'s source as a user does: select all in its editor, then type. */
export async function setSource(
  page: Page,
  index: number,
  source: string
): Promise<void> {
  await cellEditor(page, index).click();
  await page.keyboard.press('Control+a');
  // one input event, as a paste: long text is never typed key by key
  await page.keyboard.insertText(source);
  await expect(cellEditor(page, index)).toHaveText(source);
}

/** Add `text` at the end of cell `index`'s source, in its editor. */
export async function appendToSource(
  page: Page,
  index: number,
  text: string
): Promise<void> {
  await cellEditor(page, index).click();
  await page.keyboard.press('Control+End');
  await page.keyboard.insertText(text);
}

/** Whether a request is a server-side execution request (POST /api/kernels/<id>/execute). */
function isExecuteRequest(request: Request): boolean {
  return (
    request.method() === 'POST' &&
    /\/api\/kernels\/[^/]+\/execute$/.test(new URL(request.url()).pathname)
  );
}

/**
 * Run cell `index` in place (Ctrl+Enter) and wait until its output shows
 * `output`. For server-side execution, return the POST /api/kernels/<id>/execute
 * request the page sent (so the spec can check the setup runs cells that way).
 */
export async function runCell(
  page: Page,
  index: number,
  output: string,
  options: ISetupOptions
): Promise<Request | null> {
  const sent =
    options.runsBy === 'execute-request'
      ? page.waitForRequest(isExecuteRequest, { timeout: 60_000 })
      : null;
  await cellEditor(page, index).click();
  await page.keyboard.press('Control+Enter');
  const request = sent ? await sent : null;
  await expect(cellOutput(page, index)).toContainText(output, {
    timeout: 60_000
  });
  return request;
}

// -- the history -------------------------------------------------------------------

/** `GET tree` and the executions still running. */
interface ITreeNow extends ITree {
  running?: unknown[];
}

/**
 * The notebook's history once it has stopped changing for QUIET_MS (no new
 * state, same Head, nothing running).
 */
export async function settledTree(
  api: APIRequestContext,
  path: string
): Promise<ITree> {
  let tree: ITreeNow = { head: null, states: [] };
  let last = '';
  let since = Date.now();
  await expect
    .poll(
      async () => {
        tree = (await getTree(api, path)) as ITreeNow;
        const key = JSON.stringify([
          tree.head,
          tree.states.map(s => s.id),
          tree.running?.length ?? 0
        ]);
        if (key !== last) {
          last = key;
          since = Date.now();
        }
        return Date.now() - since >= QUIET_MS && !tree.running?.length;
      },
      { timeout: 90_000, intervals: [500] }
    )
    .toBe(true);
  return tree;
}

/** The states of `after` that `before` did not have, oldest first. */
export function newStates(before: ITree, after: ITree) {
  const known = new Set(before.states.map(s => s.id));
  return after.states.filter(s => !known.has(s.id));
}

/** A short line for a state: id, event, cell, preview. */
export function line(s: ITree['states'][number]): string {
  return `${s.id.slice(0, 8)} ${s.event} cell=${s.cell_id} ${JSON.stringify(s.preview)}`;
}

/** A short line per state, for assertion messages. */
export function describe(tree: ITree): string {
  return tree.states.map(line).join('\n');
}

/** What a user sees of a cell: type, source, outputs, count (not metadata). */
function visible(cell: IStateDetail['cells'][number]): string {
  const c = cell as any;
  return JSON.stringify([
    c.id,
    c.cell_type,
    c.source,
    c.outputs ?? null,
    c.execution_count ?? null
  ]);
}

/**
 * The `edit` and `save` states that change nothing a user sees in their
 * parent's cells (order, types, sources, outputs): a second state for one
 * change, or a save of notebook metadata alone.
 */
export async function statesChangingNothing(
  api: APIRequestContext,
  path: string,
  tree: ITree
): Promise<string[]> {
  const found: string[] = [];
  const byId = new Map(tree.states.map(s => [s.id, s]));
  for (const state of tree.states) {
    if (!['edit', 'save'].includes(state.event) || state.parent === null) {
      continue;
    }
    const parent = byId.get(state.parent);
    const [mine, theirs] = await Promise.all([
      getState(api, path, state.id),
      getState(api, path, state.parent)
    ]);
    if (
      JSON.stringify(mine.cells.map(visible)) ===
      JSON.stringify(theirs.cells.map(visible))
    ) {
      found.push(
        `${state.event} ${state.id.slice(0, 8)} (${JSON.stringify(state.preview)}) has the cells of its parent ` +
          `${parent?.event} ${state.parent.slice(0, 8)}`
      );
    }
  }
  return found;
}

/** The text of outputs as a user reads them (streams, text/plain, errors). */
export function outputText(outputs: any[] | null | undefined): string {
  return (outputs ?? [])
    .map(o => {
      const text = o.text ?? o.data?.['text/plain'] ?? o.evalue ?? '';
      return Array.isArray(text) ? text.join('') : String(text);
    })
    .join('');
}

// -- the history panel -------------------------------------------------------------

/** Open the history panel (its command, as its shortcut does); it must sit in the right sidebar. */
export async function openPanel(page: Page) {
  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute(
      'jupyter-branch:open-panel'
    );
  });
  const panel = page.locator('#jp-right-stack #jupyter-branch-history');
  await expect(panel).toBeVisible();
  await panel.locator('.jp-BranchPanel-tab[data-view="timeline"]').click();
  return panel;
}

// -- the server log ----------------------------------------------------------------

/**
 * One traceback is not the server failing anyone: a websocket write that nobody
 * awaits (jupyter_server_ydoc's send, jupyter_server's kernel channels), to a
 * browser that has just gone (a test closing its pages), reported by asyncio as
 * "Task exception was never retrieved" with this future line. It is left out,
 * up to the next log record (as scripts/compat.py does).
 */
const WRITE_TO_CLOSED_SOCKET =
  /^future: <Task finished .*WebSocketProtocol13\.write_message\.<locals>\.wrapper\(\).*exception=WebSocketClosedError\(\)>$/;

/** The indexes of the log lines that report a write to a browser that has gone. */
function ignoredLines(lines: string[]): Set<number> {
  const ignored = new Set<number>();
  let inside = false;
  lines.forEach((line, i) => {
    if (WRITE_TO_CLOSED_SOCKET.test(line)) {
      inside = true;
    } else if (
      line.startsWith('[') ||
      line.startsWith('Task exception was never retrieved')
    ) {
      inside = false;
    }
    if (inside) {
      ignored.add(i);
    }
  });
  return ignored;
}

/** What differs between two reports of the same error: times, ids, durations. */
const VARYING =
  /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ |\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\b[0-9a-f]{32}\b|\b\d+\.\d+ms\b/g;

/**
 * The server log's 5xx answers and tracebacks so far (a traceback with the
 * lines that explain it), each once with how often it occurred.
 */
export function badLogLines(): string[] {
  const lines = fs.readFileSync(SERVER_LOG, 'utf-8').split('\n');
  const ignored = ignoredLines(lines);
  const counts = new Map<string, number>();
  lines.forEach((line, i) => {
    if (!ignored.has(i) && BAD_LOG_LINE.test(line)) {
      const context = line.includes('Traceback')
        ? lines.slice(i, i + 12)
        : [line];
      const entry = context.join('\n').replace(VARYING, '…');
      counts.set(entry, (counts.get(entry) ?? 0) + 1);
    }
  });
  return [...counts].map(([entry, n]) => `${n} x ${entry}`);
}

/**
 * Wait until each of `codes` ran once in the history of `path` (one `execute`
 * state previewing it). When they do not, the error says what the server knew:
 * `GET info` (the recorder's dropped runs, its kernels) and the states it has.
 */
export async function expectRecorded(
  api: APIRequestContext,
  path: string,
  codes: string[]
): Promise<void> {
  const counts = async () => {
    const tree = await getTree(api, path);
    return codes.map(
      code =>
        tree.states.filter(s => s.event === 'execute' && s.preview === code)
          .length
    );
  };
  try {
    await expect.poll(counts, RECORDED).toEqual(codes.map(() => 1));
  } catch (error) {
    const info = await (await api.get(`${API}/info`)).text();
    const states = (await getTree(api, path)).states.map(
      s => `${s.event} ${JSON.stringify(s.preview)}`
    );
    throw new Error(
      `${(error as Error).message}\nGET info: ${info}\nstates: ${states.join('; ')}`
    );
  }
}

// -- the scenarios -----------------------------------------------------------------

/**
 * Declare the setup's tests. They run in this order in one worker, the log
 * check last, so it covers every request the others made.
 */
export function compatTests(setup: string, options: ISetupOptions): void {
  test.describe(setup, () => {
    test.use({ browsers: options.browsers });
    declareTests(setup, options);
  });
}

function declareTests(setup: string, options: ISetupOptions): void {
  test('runs are recorded with the cell that ran', async ({
    page,
    pages,
    api
  }) => {
    const path = await createNotebook(api, `${setup}-runs`, ['', '']);
    for (const p of pages) {
      await openNotebook(p, path, options);
    }
    // with two browsers, each runs one cell
    const runs = [
      { code: 'a = 6 * 7; a', output: '42' },
      { code: "print('b', a + 1)", output: 'b 43' }
    ];
    const requests: (Request | null)[] = [];
    for (let i = 0; i < runs.length; i++) {
      const p = pages[i % pages.length];
      await setSource(p, i, runs[i].code);
      requests.push(await runCell(p, i, runs[i].output, options));
    }
    for (const p of pages) {
      await expect(cellOutput(p, 0)).toContainText('42');
      await expect(cellOutput(p, 1)).toContainText('b 43');
    }
    const ids = (await pageCells(page, path)).map(c => c.id);
    expect(ids).toHaveLength(2);

    if (options.runsBy === 'execute-request') {
      // the setup under test: each run went out as POST /api/kernels/<id>/execute,
      // naming the cell (nbmodel: metadata.cell_id; jupyter-server-documents: cells[])
      requests.forEach((request, i) => {
        expect(
          request,
          `run ${i} was not sent as an execute request`
        ).not.toBeNull();
        expect(request!.postData() ?? '').toContain(ids[i]);
      });
    }

    await expectRecorded(
      api,
      path,
      runs.map(r => r.code)
    );
    const tree = await settledTree(api, path);
    for (let i = 0; i < runs.length; i++) {
      const ran = tree.states.filter(
        s => s.event === 'execute' && s.preview === runs[i].code
      );
      expect(
        ran,
        `one execute state for ${runs[i].code}:\n${describe(tree)}`
      ).toHaveLength(1);
      const state = ran[0];
      expect
        .soft(state.cell_id, `the cell of ${JSON.stringify(runs[i].code)}`)
        .toBe(ids[i]);
      expect.soft(state.status).toBe('ok');
      const detail = await getState(api, path, state.id);
      expect.soft(detail.code).toBe(runs[i].code);
      expect.soft(outputText(detail.outputs)).toContain(runs[i].output);
      // the panel's Cell tab: the cell's versions include this run with its output
      const response = await api.get(
        `/jupyter-branch/api/cells/${encodeURIComponent(ids[i])}?path=${encodeURIComponent(path)}`
      );
      expect(response.status()).toBe(200);
      const history = await response.json();
      const version = history.versions.find(
        (v: any) => v.state.id === state.id
      );
      expect
        .soft(version, `run of cell ${ids[i]} among its versions`)
        .toBeTruthy();
      expect.soft(outputText(version?.cell?.outputs)).toContain(runs[i].output);
    }
    expect.soft(tree.states.filter(s => s.event === 'execute')).toHaveLength(2);
  });

  test('opening a notebook makes no state, and an edit then a pause makes one edit state', async ({
    page,
    pages,
    api
  }) => {
    const path = await createNotebook(api, `${setup}-edits`, [
      'x = 1',
      'y = 2'
    ]);
    const created = await settledTree(api, path);
    for (const p of pages) {
      await openNotebook(p, path, options);
    }
    let tree = await settledTree(api, path);
    expect
      .soft(
        newStates(created, tree).map(line),
        'states made by opening the notebook'
      )
      .toEqual([]);

    // each browser in turn edits a cell and pauses
    const edits = [
      { cell: 0, text: ' + 10' },
      { cell: 1, text: ' * 20' }
    ];
    for (let i = 0; i < edits.length; i++) {
      const p = pages[i % pages.length];
      const before = tree;
      await appendToSource(p, edits[i].cell, edits[i].text);
      const wanted = await pageCells(p, path);
      expect(wanted[edits[i].cell].source).toMatch(
        new RegExp(`${edits[i].text.replace(/[*+]/g, '\\$&')}$`)
      );
      for (const other of pages) {
        await expect(cellEditor(other, edits[i].cell)).toHaveText(
          wanted[edits[i].cell].source
        );
      }
      // the edit reaches the history, then nothing else comes for it
      await expect
        .poll(async () => {
          const t = await getTree(api, path);
          return t.states.length;
        }, RECORDED)
        .toBeGreaterThan(before.states.length);
      tree = await settledTree(api, path);
      const made = newStates(before, tree);
      expect
        .soft(made.map(line), `states made by edit ${i + 1} and a pause`)
        .toEqual([expect.stringMatching(/^\w+ edit /)]);
      if (made.length > 0) {
        const last = await getState(api, path, made[made.length - 1].id);
        expect
          .soft(
            last.cells.map(c => ({
              id: c.id,
              cell_type: c.cell_type,
              source: c.source
            }))
          )
          .toEqual(wanted);
      }
    }
    expect
      .soft(
        await statesChangingNothing(api, path, tree),
        'edit and save states that change nothing in the cells'
      )
      .toEqual([]);
  });

  test('a restore from the history panel brings back the outputs of that run', async ({
    page,
    pages,
    api
  }) => {
    const path = await createNotebook(api, `${setup}-restore`, [
      '',
      "print('second cell')"
    ]);
    for (const p of pages) {
      await openNotebook(p, path, options);
    }
    // the second cell first, so that the run restored has outputs in both cells
    await runCell(page, 1, 'second cell', options);
    const first = 'r = 6 * 7; r';
    await setSource(page, 0, first);
    await runCell(page, 0, '42', options);
    await setSource(page, 0, 'r = 6 * 8; r');
    await runCell(page, 0, '48', options);
    let tree: ITree = { head: null, states: [] };
    await expect
      .poll(async () => {
        tree = await getTree(api, path);
        return tree.states.filter(s => s.event === 'execute').length;
      }, RECORDED)
      .toBe(3);
    tree = await settledTree(api, path);
    const cellId = (await pageCells(page, path))[0].id;
    const run = tree.states.find(
      s => s.event === 'execute' && s.preview === first
    )!;
    const ran = await getState(api, path, run.id);
    expect(outputText(ran.outputs)).toContain('42');

    // select that run in the timeline and press Restore
    const panel = await openPanel(page);
    const row = panel.locator(`.jp-BranchRow[data-state-id="${run.id}"]`);
    await expect(row).toBeVisible(RECORDED);
    await row.click();
    const replied = page.waitForResponse(
      r =>
        r.request().method() === 'POST' &&
        r.url().includes('/jupyter-branch/api/restore')
    );
    await panel
      .locator(
        '.jp-BranchPanel-action[data-command="jupyter-branch:restore-state"]'
      )
      .click();
    const reply = await replied;
    expect(reply.status(), await reply.text()).toBe(200);
    const restored = await reply.json();
    const cell = restored.cells.find((c: any) => c.id === cellId);
    expect(cell, `cell ${cellId} in the restore's answer`).toBeTruthy();
    expect(cell.source).toBe(first);
    expect(cell.outputs).toEqual(ran.outputs);

    // every browser shows the run's source and outputs again
    for (const p of pages) {
      await expect(cellEditor(p, 0)).toHaveText(first, RECORDED);
      await expect(cellOutput(p, 0)).toHaveText('42', RECORDED);
      await expect(cellOutput(p, 1)).toHaveText('second cell');
    }
    // the restore is a state of its own, Head, with those outputs
    tree = await settledTree(api, path);
    const head = tree.states.find(s => s.id === tree.head)!;
    expect.soft(head.event, describe(tree)).toBe('restore');
    const headDetail = await getState(api, path, head.id);
    const headCell = headDetail.cells.find(c => c.id === cellId);
    expect.soft(headCell?.outputs).toEqual(ran.outputs);
    expect
      .soft(
        await statesChangingNothing(api, path, tree),
        'edit and save states that change nothing in the cells'
      )
      .toEqual([]);
  });

  options.more?.(setup, options);

  test('the server log has no 5xx answer and no traceback', async () => {
    expect(badLogLines()).toEqual([]);
  });
}
