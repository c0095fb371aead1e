/**
 * What the UI tests need besides Galata: reading a notebook's history through
 * the REST API (docs/rest-api.md), driving one cell's editor the way a user
 * does, and saving screenshots for the documentation.
 */
import * as fs from 'fs';
import * as path from 'path';
import { APIRequestContext, expect, Locator, Page } from '@playwright/test';

/** One state as `GET tree` lists it (the keys the tests read). */
export interface IStateSummary {
  id: string;
  parent: string | null;
  seq: number;
  event: 'execute' | 'edit' | 'restore' | 'save' | 'external';
  cell_id: string | null;
  execution_count: number | null;
  status: string | null;
  preview: string;
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

const API = '/jupyter-branch/api';

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
