/**
 * A history another user shared with this one, in a real browser: the Shared
 * tab lists it with its owner; its timeline, a state opened read-only, a diff
 * of two of its states and an export into the user's own root all work and
 * say whose it is; nothing offers to restore or label it.
 *
 * Before the page opens, bob's history is recorded into the UI test server's
 * store (`make_history.py`, as bob's own server would record it) and shared
 * with the server's owner through the command line, as bob would share it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expect, test } from '@jupyterlab/galata';

import { IStateSummary, saveDocScreenshot } from './history';

const RECORDED = { timeout: 20_000 };
const OWNER = 'bob';
const NOTEBOOK = '/home/bob/experiments/train.ipynb';

const venv = path.resolve(__dirname, '..', '..', '.venv', 'bin');
const python = fs.existsSync(path.join(venv, 'python')) ? path.join(venv, 'python') : 'python3';
const jupyter = fs.existsSync(path.join(venv, 'jupyter')) ? path.join(venv, 'jupyter') : 'jupyter';

/** bob's states, oldest first, as make_history.py recorded them. */
let states: IStateSummary[] = [];
/** Whose history the server records (GET info's store.owner): the one bob shares with. */
let me = '';

test.beforeAll(async ({ playwright }, testInfo) => {
  const request = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
  let store: { owner: string; url: string } | null = null;
  await expect
    .poll(async () => {
      store = (await (await request.get('/jupyter-branch/api/info')).json()).store;
      return store !== null;
    }, RECORDED)
    .toBe(true);
  await request.dispose();
  me = store!.owner;
  expect(me, 'the server records another owner than bob').not.toBe(OWNER);
  const url = store!.url;
  expect(url, 'the UI tests use a SQLite store, named without a password').toMatch(/^sqlite:/);
  const made = execFileSync(python, [path.resolve(__dirname, '..', 'make_history.py'), url, OWNER, NOTEBOOK], {
    encoding: 'utf-8'
  });
  states = JSON.parse(made).states;
  execFileSync(jupyter, ['branch', '--db', url, '--owner', OWNER, 'share', NOTEBOOK, '--with', me], {
    encoding: 'utf-8'
  });
});

test("a history shared by another user: listed with its owner, read-only, exported into my root", async ({
  page
}) => {
  expect(states.map(s => s.event)).toEqual(['edit', 'execute', 'edit', 'execute']);
  const [, firstRun, , lastRun] = states;

  await page.evaluate(async () => {
    await (window as any).jupyterapp.commands.execute('jupyter-branch:open-panel');
  });
  const panel = page.locator('#jupyter-branch-history');
  // the tab is there because something is shared with this user
  const tab = panel.locator('.jp-BranchPanel-tab[data-view="shared"]');
  await expect(tab).toBeVisible(RECORDED);
  await tab.click();
  const item = panel.locator(`.jp-BranchShared-item[data-owner="${OWNER}"][data-path="${NOTEBOOK}"]`);
  await expect(item).toContainText('train.ipynb');
  await expect(item).toContainText('shared by bob · 4 states');

  // its timeline, newest first, read from bob's history
  await item.click();
  const shared = panel.locator('.jp-BranchShared-history');
  await expect(shared.locator('.jp-BranchShared-head')).toContainText('shared by bob · read-only');
  const rows = shared.locator('.jp-BranchRow');
  await expect(rows).toHaveCount(4, RECORDED);
  expect(await rows.evaluateAll(r => r.map(e => (e as HTMLElement).dataset.stateId))).toEqual(
    [...states].reverse().map(s => s.id)
  );

  // only reads are offered: in the details, and in the row's context menu
  const row = shared.locator(`.jp-BranchRow[data-state-id="${lastRun.id}"]`);
  await row.click();
  const actions = shared.locator('.jp-BranchPanel-details .jp-BranchPanel-action');
  await expect(actions).toHaveText(['Open', 'Diff with…', 'Export']);
  await expect(shared.locator('.jp-BranchPanel-details')).toContainText('shared by bob');
  for (const command of ['restore-state', 'restore-cell', 'label-state']) {
    await expect(page.locator(`.jp-BranchPanel-action[data-command="jupyter-branch:${command}"]:visible`)).toHaveCount(0);
  }
  await row.click({ button: 'right' });
  const menuItem = (label: string) => page.locator('.lm-Menu .lm-Menu-item', { hasText: label });
  await expect(menuItem('Open State')).toBeVisible();
  await expect(menuItem('Export State as Notebook')).toBeVisible();
  for (const label of ['Restore State into Notebook', 'Restore This Cell Only', 'Label State', 'Diff State with Notebook']) {
    await expect(menuItem(label), `no "${label}" for a shared state`).toBeHidden();
  }
  await page.keyboard.press('Escape');

  // a state opens read-only, saying whose it is
  await actions.filter({ hasText: 'Open' }).click();
  const view = page.locator(`.jp-BranchStateView[data-state-id="${lastRun.id}"]`);
  await expect(view).toBeVisible(RECORDED);
  await expect(view).toHaveAttribute('data-owner', OWNER);
  await expect(view.locator('.jp-BranchStateView-title')).toContainText(`${NOTEBOOK} — shared by bob`);
  await expect(view.locator('.jp-BranchStateView-note')).toContainText("of bob's history, shared with you");
  await expect(view).toContainText('loss 0.31');
  await expect(view.locator('[data-command="jupyter-branch:restore-state"]')).toHaveCount(0);
  await saveDocScreenshot(page, 'shared');

  // two of its states compared
  await actions.filter({ hasText: 'Diff with…' }).click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toBeVisible();
  const choice = dialog.locator('option', { hasText: firstRun.id.slice(0, 12) });
  await dialog.locator('select').selectOption({ label: (await choice.textContent())! });
  await dialog.locator('.jp-mod-accept').click();
  const diff = page.locator('.jp-BranchDiff');
  await expect(diff.locator('.jp-BranchStateView-title')).toContainText('shared by bob', RECORDED);
  await expect(diff.locator('.jp-mod-removed').filter({ hasText: 'loss = 0.31' }).first()).toBeVisible();
  await expect(diff.locator('.jp-mod-added').filter({ hasText: 'loss = 0.42' }).first()).toBeVisible();

  // exported as a new notebook in my root, opened in Lab with a kernel
  await actions.filter({ hasText: 'Export' }).click();
  const exported = `train-bob-${lastRun.id.slice(0, 8)}.ipynb`;
  await expect(page.locator('.lm-TabBar-tab', { hasText: exported }).first()).toBeVisible(RECORDED);
  // (read from the session: the sidebar leaves the toolbar too narrow to show the kernel's name)
  await expect
    .poll(
      () => page.evaluate(() => (window as any).jupyterapp.shell.currentWidget?.sessionContext?.kernelDisplayName),
      RECORDED
    )
    .toMatch(/Python 3/);
  await expect(page.locator('.jp-Dialog')).toHaveCount(0);
  const file = await (await page.request.get(`/api/contents/${exported}?content=1`)).json();
  const code = file.content.cells.find((c: any) => c.cell_type === 'code');
  expect(code.source).toBe("loss = 0.31\nprint(f'loss {loss}')");
  expect(JSON.stringify(code.outputs)).toContain('loss 0.31');
  expect(file.content.metadata).not.toHaveProperty('jupyter_branch');
});
