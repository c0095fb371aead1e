/**
 * The SPEC's seed scenario in a real browser: run `x = 1`, edit to `x = 2` and
 * run, ctrl-z back to `x = 1`, edit to `x = 1; x + 10` and run. The last run
 * must branch off the `x = 1` line of history while the `x = 2` run stays
 * recorded. And the "Notebook history" sidebar shows those states.
 */
import { expect, test } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

import {
  ancestors,
  cellEditor,
  cellOutput,
  cellPrompt,
  executions,
  getState,
  getTree,
  ITree,
  newNotebook,
  saveDocScreenshot
} from './history';

// Executions are recorded when they end, edits after the reporter's idle delay
// (2 s) at most: a few seconds of polling covers both on a loaded machine.
const RECORDED = { timeout: 20_000 };

/**
 * Type `code` at the end of cell `index`, run it in place (Ctrl+Enter, so no
 * new cell is added), and wait until the kernel answered with prompt `[count]:`.
 * Typing is part of what is tested here (ctrl-z undoes it), so `code` is short.
 */
async function typeAndRun(
  page: Page,
  index: number,
  code: string,
  count: number
): Promise<void> {
  await cellEditor(page, index).click();
  await page.keyboard.press('End');
  await page.keyboard.type(code);
  await page.keyboard.press('Control+Enter');
  await expect(cellPrompt(page, index)).toHaveText(`[${count}]:`, RECORDED);
}

/** Poll the history until it holds an execution of `code`; return the tree. */
async function waitForExecution(
  page: Page,
  notebook: string,
  code: string
): Promise<ITree> {
  let tree: ITree = { head: null, states: [] };
  try {
    await expect
      .poll(async () => {
        tree = await getTree(page.request, notebook);
        return executions(tree, code).length;
      }, RECORDED)
      .toBeGreaterThan(0);
  } catch (error) {
    // Say what the server has instead: another path (the kernel session's,
    // if it differs from the document's), other previews, or nothing at all.
    const notebooks = await page.request.get('/jupyter-branch/api/notebooks');
    const sessions = await page.request.get('/api/sessions');
    throw new Error(
      `no execution of ${JSON.stringify(code)} in ${notebook}.\n` +
        `tree: ${JSON.stringify(tree)}\n` +
        `notebooks: ${await notebooks.text()}\n` +
        `sessions: ${await sessions.text()}\n${error}`
    );
  }
  return tree;
}

/**
 * Yjs merges edits less than 500 ms apart into one undo step. A person pauses
 * longer than that between running a cell and rewriting it; the test, being
 * faster, waits out what is left of that half second so that ctrl-z undoes
 * only the rewrite, as it would for them.
 */
async function pauseLikeAUser(page: Page, since: number): Promise<void> {
  const left = since + 600 - Date.now();
  if (left > 0) {
    await page.waitForTimeout(left);
  }
}

test.describe('recording', () => {
  test('a run after ctrl-z branches off the undone-to state', async ({
    page
  }) => {
    const notebook = await newNotebook(page);

    // 1. x = 1
    await typeAndRun(page, 0, 'x = 1', 1);
    const typed = Date.now();
    await waitForExecution(page, notebook, 'x = 1');

    // 2. edit to x = 2 and run
    await pauseLikeAUser(page, typed);
    await cellEditor(page, 0).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('x = 2');
    await expect(cellEditor(page, 0)).toHaveText('x = 2');
    await page.keyboard.press('Control+Enter');
    await expect(cellPrompt(page, 0)).toHaveText('[2]:', RECORDED);
    await waitForExecution(page, notebook, 'x = 2');

    // 3. ctrl-z in the editor until the cell reads x = 1 again
    const editor = cellEditor(page, 0);
    await editor.click();
    for (let i = 0; i < 10; i++) {
      if ((await editor.textContent()) === 'x = 1') {
        break;
      }
      await page.keyboard.press('Control+z');
    }
    await expect(editor).toHaveText('x = 1');
    // The undo is reported at once and Head moves back to a state whose cell
    // reads x = 1: wait for it, so the next run cannot overtake the report.
    await expect
      .poll(async () => {
        const tree = await getTree(page.request, notebook);
        const head = await getState(page.request, notebook, tree.head!);
        return head.cells.map(cell => cell.source);
      }, RECORDED)
      .toEqual(['x = 1']);

    // 4. x = 1; x + 10 and run
    await typeAndRun(page, 0, '; x + 10', 3);
    await expect(cellEditor(page, 0)).toHaveText('x = 1; x + 10');
    await expect(cellOutput(page, 0)).toHaveText('11');
    const tree = await waitForExecution(page, notebook, 'x = 1; x + 10');

    // The last execution branches off the x = 1 line, not off x = 2.
    const [runOne] = executions(tree, 'x = 1');
    const [runTwo] = executions(tree, 'x = 2');
    const runs = executions(tree, 'x = 1; x + 10');
    expect(runs).toHaveLength(1);
    const last = runs[0];
    expect(tree.states.filter(s => s.event === 'execute').pop()).toEqual(last);
    expect(ancestors(tree, last.id)).toContain(runOne.id);
    expect(ancestors(tree, last.id)).not.toContain(runTwo.id);

    // The undone x = 2 run is still there, with the code it ran.
    expect(runTwo.event).toBe('execute');
    expect(ancestors(tree, runTwo.id)).toContain(runOne.id);
    const undone = await getState(page.request, notebook, runTwo.id);
    expect(undone.code).toBe('x = 2');
    const lastDetail = await getState(page.request, notebook, last.id);
    expect(lastDetail.code).toBe('x = 1; x + 10');
    expect(JSON.stringify(lastDetail.outputs)).toContain('11');

    // The history sidebar opens with its shortcut and shows the branch.
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Alt+h');
    const panel = page.locator('#jupyter-branch-history');
    await expect(panel.getByText('Notebook history')).toBeVisible();
    await expect(panel.getByText('x = 1; x + 10').first()).toBeVisible(
      RECORDED
    );
    await saveDocScreenshot(page, 'seed-scenario');

    // The tree view shows the undone x = 2 run beside the line of work.
    await panel.locator('.jp-BranchPanel-tab[data-view="tree"]').click();
    const rows = panel.locator('.jp-BranchTreeRow');
    await expect(rows).toHaveCount(tree.states.length, RECORDED);
    await expect(rows.filter({ hasText: 'x = 2' }).first()).toBeVisible();
    await saveDocScreenshot(page, 'tree');
  });

  test('the history panel opens from the command palette', async ({ page }) => {
    const notebook = await newNotebook(page);
    await typeAndRun(page, 0, 'x = 1', 1);
    await waitForExecution(page, notebook, 'x = 1');

    const panel = page.locator('#jupyter-branch-history');
    await expect(panel).toBeHidden();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+Shift+c');
    const palette = page.locator('#modal-command-palette');
    await expect(palette).toBeVisible();
    await palette.locator('input').fill('Show Notebook History');
    await page.keyboard.press('Enter');

    await expect(panel.getByText('Notebook history')).toBeVisible();
    await expect(panel.getByText('x = 1', { exact: true }).first()).toBeVisible(
      RECORDED
    );
  });
});
