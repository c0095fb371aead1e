/**
 * What the UI tests need besides Galata: a new notebook whose kernel is ready,
 * cell sources set through the notebook's model, reading a notebook's history
 * through the REST API (docs/rest-api.md), locating one cell's editor, prompt
 * and outputs, and saving screenshots for the documentation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { APIRequestContext, expect, Locator, Page } from '@playwright/test';

/** How long a kernel may take to start on a busy machine. */
const KERNEL_READY = { timeout: 60_000 };
/** How long an execution may take to be recorded on a busy machine. */
const RECORDED = { timeout: 20_000 };

/**
 * File > New > Notebook in the file browser's folder (the test's); returns the
 * notebook's path once it is open and its kernel idle.
 *
 * The path is read from the open document rather than from Galata's
 * `createNew`, which reads the current tab's label right after the dialog
 * without waiting for the notebook's tab. Not renamed (`createNew(name)`
 * renames right after creating): in about one run in fifteen the first
 * execution after that rename was recorded under the old name, Untitled.ipynb,
 * while the edits went to the new one. That race belongs in a test of renames
 * of its own.
 */
export async function newNotebook(
  page: IJupyterLabPageFixture
): Promise<string> {
  await page.notebook.createNew();
  const ready = await page.waitForFunction(
    () => {
      const widget = (window as any).jupyterapp.shell.currentWidget;
      const notebookPath: unknown = widget?.context?.path;
      const kernel = widget?.sessionContext?.session?.kernel;
      return typeof notebookPath === 'string' &&
        notebookPath.endsWith('.ipynb') &&
        kernel?.status === 'idle'
        ? notebookPath
        : null;
    },
    undefined,
    KERNEL_READY
  );
  return (await ready.jsonValue()) as string;
}

/**
 * Set the source of cell `index` of the active notebook through the notebook's
 * shared model, as one change: long text typed key by key (Galata's setCell)
 * takes tens of seconds, and past a test's minute on a busy machine. Resolves
 * once the cell's editor holds the text.
 */
export async function setCellSource(
  page: Page,
  index: number,
  source: string
): Promise<void> {
  await page.evaluate(
    ([i, text]) => {
      const notebook = (window as any).jupyterapp.shell.currentWidget?.content;
      const cell = notebook?.model?.sharedModel?.getCell(i);
      if (!cell) {
        throw new Error(`the active notebook has no cell ${i}`);
      }
      cell.setSource(text);
    },
    [index, source] as const
  );
  await expect.poll(() => editorText(page, index)).toBe(source);
}

/**
 * Append a cell of `cellType` holding `source` to the active notebook through
 * its shared model; resolves once its editor shows the text. Returns its index.
 */
export async function appendCell(
  page: Page,
  cellType: 'code' | 'markdown',
  source: string
): Promise<number> {
  const index = await page.evaluate(
    ([type, text]) => {
      const notebook = (window as any).jupyterapp.shell.currentWidget?.content;
      const shared = notebook?.model?.sharedModel;
      if (!shared) {
        throw new Error('no notebook is active');
      }
      const at = shared.cells.length;
      shared.insertCell(at, { cell_type: type, source: text });
      return at as number;
    },
    [cellType, source] as const
  );
  await expect(
    page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
  ).toHaveCount(index + 1);
  await expect.poll(() => editorText(page, index)).toBe(source);
  return index;
}

/**
 * The text of the active notebook's cell `index` as its widget shows it: its
 * CodeMirror editor's, or its model's while it has no editor (a rendered
 * markdown cell); null while the cell has no widget yet.
 */
function editorText(page: Page, index: number): Promise<string | null> {
  return page.evaluate(i => {
    const notebook = (window as any).jupyterapp.shell.currentWidget?.content;
    const widget = notebook?.widgets?.[i];
    const view = widget?.editor?.editor;
    if (view) {
      return view.state.doc.toString() as string;
    }
    return widget ? (widget.model.sharedModel.getSource() as string) : null;
  }, index);
}

/** One state as `GET tree` lists it (the keys the tests read). */
export interface IStateSummary {
  id: string;
  parent: string | null;
  seq: number;
  event: 'execute' | 'edit' | 'restore' | 'save' | 'external';
  cell_id: string | null;
  cell_index: number | null;
  execution_count: number | null;
  status: string | null;
  preview: string;
  label: string | null;
  by_user: string | null;
  by_client: string | null;
  sources_key: string;
}

/** `GET tree`: a notebook's states, oldest first. */
export interface ITree {
  head: string | null;
  states: IStateSummary[];
}

/** `GET states/<id>`: a state with its content. */
export interface IStateDetail extends IStateSummary {
  cells: { id: string; cell_type: string; source: string; outputs?: any[] }[];
  code?: string | null;
  outputs?: any[] | null;
}

export const API = '/jupyter-branch/api';

/**
 * The notebook's history, or an empty tree while the server has none yet
 * (404), so that it can be polled from the notebook's creation on.
 */
export async function getTree(
  request: APIRequestContext,
  notebook: string
): Promise<ITree> {
  const response = await request.get(
    `${API}/tree?path=${encodeURIComponent(notebook)}`
  );
  if (response.status() === 404) {
    return { head: null, states: [] };
  }
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as ITree;
}

/** One state of the notebook, with its cells and, for an execution, its code. */
export async function getState(
  request: APIRequestContext,
  notebook: string,
  id: string
): Promise<IStateDetail> {
  const response = await request.get(
    `${API}/states/${id}?path=${encodeURIComponent(notebook)}`
  );
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as IStateDetail;
}

/** The execute states of a tree whose preview (the code's first line) is `code`. */
export function executions(tree: ITree, code: string): IStateSummary[] {
  return tree.states.filter(s => s.event === 'execute' && s.preview === code);
}

/** The last execute state whose preview (the code's first line) is `code`. */
export function lastRun(tree: ITree, code: string): IStateSummary {
  const found = executions(tree, code);
  expect(found.length, `an execution of ${code}`).toBeGreaterThan(0);
  return found[found.length - 1];
}

/** Wait until the notebook's history holds `n` executions; return the tree. */
export async function waitForExecutions(
  page: Page,
  notebook: string,
  n: number
): Promise<ITree> {
  let tree: ITree = { head: null, states: [] };
  await expect
    .poll(async () => {
      tree = await getTree(page.request, notebook);
      return tree.states.filter(s => s.event === 'execute').length;
    }, RECORDED)
    .toBeGreaterThanOrEqual(n);
  return tree;
}

/**
 * Set cell `index` to `source` (through the model: typing is not what these
 * tests are about) and run it in place; wait until the kernel ran it.
 */
export async function runCell(
  page: IJupyterLabPageFixture,
  index: number,
  source: string
): Promise<void> {
  await setCellSource(page, index, source);
  expect(await page.notebook.runCell(index, true), `cell ${index} ran`).toBe(
    true
  );
}

/** The ids of a state's ancestors, its parent first. */
export function ancestors(tree: ITree, id: string): string[] {
  const byId = new Map(tree.states.map(s => [s.id, s]));
  const found: string[] = [];
  let parent = byId.get(id)?.parent ?? null;
  while (parent !== null && !found.includes(parent)) {
    found.push(parent);
    parent = byId.get(parent)?.parent ?? null;
  }
  return found;
}

/** The code editor of the notebook's cell `index` (0-based). */
export function cellEditor(page: Page, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-InputArea-editor .cm-content');
}

/** The input prompt of cell `index`, e.g. `[2]:` once it ran twice. */
export function cellPrompt(page: Page, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-InputArea-prompt');
}

/** The outputs of cell `index`. */
export function cellOutput(page: Page, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
    .nth(index)
    .locator('.jp-OutputArea-output');
}

/** Where documentation screenshots live: docs/screenshots/ of the repository. */
export const SCREENSHOTS_DIR = path.resolve(
  __dirname,
  '..',
  '..',
  'docs',
  'screenshots'
);

/**
 * Save a screenshot of the page as docs/screenshots/<name>.png (for the
 * documentation, not compared against anything) and return its path.
 */
export async function saveDocScreenshot(
  page: Page,
  name: string
): Promise<string | null> {
  // Only when asked (`make screenshots`): a normal test run leaves docs/ alone.
  if (!process.env.JUPYTER_BRANCH_SCREENSHOTS) {
    return null;
  }
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  await page.waitForTimeout(800); // let notifications finish sliding in
  await page.screenshot({ path: file });
  return file;
}
