/**
 * The user's three jobs in the history panel, in a real browser: browse old
 * outputs (a cell's versions, search, any state read-only, untrusted), go back
 * (branches, restore a whole state or one cell, diff), keep a result (export,
 * labels). Each test builds its history with a real kernel or, where only the
 * shape of the tree matters, with the document reports the frontend sends.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Page } from '@playwright/test';

import {
  appendCell,
  getState,
  getTree,
  lastRun,
  newNotebook,
  runCell,
  saveDocScreenshot,
  waitForExecutions
} from './history';

const RECORDED = { timeout: 20_000 };
/** A small bar chart (160x64), big enough to see in the screenshots. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAKAAAABACAIAAAAS6ev4AAACrElEQVR42u3RwU3FQBCD4VcBLXCEA/1xpBWKoBY64Q' +
  'xPCopCstnMztiORPxr7pbmu325f93NLzCwM7AzsDOwM7AzsDOwgZ2BKz2+fpyy+/32cMruy/vLKbufT8+3U3RPAb7r' +
  'ngJ81z0F+K5rYANzdPXAk64eeNLVA0+6auBZVww864qBZ10x8KwrBV7qKoGXukrgpa4SeKlrYANzdGXAK10Z8EpXBr' +
  'zSFQFvdTXAW10N8FZXA7zVNbCBOboC4KauALipKwBu6tKB93TZwHu6bOA9XTbwni4XuKNLBe7oUoE7ulTgjq6BDczR' +
  '5QH3dXnAfV0ecF+XBXyoSwI+1CUBH+qSgA91DWxgji4DOKLLAI7oMoAjunjgoC4cOKgLBw7qwoGDumDguC4WOK6LBY' +
  '7rYoHjugY2MEcXCDykCwQe0gUCD+nCgEd1UcCjuijgUV0U8KiugQ3M0YUAJ3QhwAldCHBCFwCc060D53TrwDndOnBO' +
  'twqc1i0Cp3WLwGndInBa18AG5uhWgCu6FeCKbgW4opsHLuqmgYu6aeCibhq4qGtgA3N0c8B13RxwXTcHXNfNAEN0E8' +
  'AQ3QQwRDcBDNEdBkbpjgKjdEeBUbqjwChdAxuYozsEDNQdAgbqDgEDdQeAsbpxYKxuHBirGwfG6hrYwBzdIDBcNwgM' +
  '1w0Cw3VDwAzdCDBDNwLM0I0AM3SPgUm6h8Ak3UNgku4hMEnXwNcG5un2gXm6fWCebh+Yp9sDpup2gKm6HWCqbgeYqm' +
  'vgqwKzdfeA2bp7wGzdPWC2bhtYoNsEFug2gQW6TWCBbgNYo7sF1uhugTW6W2CNroEvBizTXQHLdFfAMt0VsEz3D7BS' +
  'dwms1F0CK3WXwEpdA18GWKw7A4t1Z2Cx7gws1v0F1utOwHrdCVivOwHrde/3AwoQZUYvPy5RAAAAAElFTkSuQmCC';

/** Run cell `index` as it is, in place; wait until the kernel ran it. */
async function runExisting(page: IJupyterLabPageFixture, index: number): Promise<void> {
  expect(await page.notebook.runCell(index, true), `cell ${index} ran`).toBe(true);
}

async function openPanel(page: Page, view: 'timeline' | 'tree' | 'cell' | 'search') {
  const panel = page.locator('#jupyter-branch-history');
  if (!(await panel.isVisible())) {
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute('jupyter-branch:open-panel');
    });
  }
  await panel.locator(`.jp-BranchPanel-tab[data-view="${view}"]`).click();
  return panel;
}

/** Select a state's row in the timeline (it must be on the shown branch). */
async function selectRow(page: Page, stateId: string) {
  const panel = await openPanel(page, 'timeline');
  const row = panel.locator(`.jp-BranchRow[data-state-id="${stateId}"]`);
  await expect(row).toBeVisible(RECORDED);
  await row.click();
  return panel;
}

function notebookCell(page: Page, index: number) {
  return page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell').nth(index);
}

test.describe('browse old outputs', () => {
  test("a cell's versions, newest first, an image among them", async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(
      page,
      0,
      `import base64\nfrom IPython.display import Image, display\ndisplay(Image(data=base64.b64decode('${PNG}')))`
    );
    await waitForExecutions(page, notebook, 1);
    await runCell(page, 0, "print('second version')");
    await waitForExecutions(page, notebook, 2);

    await notebookCell(page, 0).click();
    const panel = await openPanel(page, 'cell');
    // the runs; an edit version may sit between them (the idle report)
    const versions = panel.locator('.jp-BranchVersion[data-event="execute"]');
    await expect(versions).toHaveCount(2, RECORDED);
    await expect(versions.nth(0)).toContainText('second version');
    const image = versions.nth(1).locator('.jp-BranchOutputs img');
    await expect(image).toBeVisible();
    expect(await image.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
    await saveDocScreenshot(page, 'cell-history');
  });

  test('a cell with many versions shows the newest 100, older ones on request', async ({
    page,
    tmpPath
  }) => {
    const notebook = `${tmpPath}/many.ipynb`;
    const cell = { id: 'c1', cell_type: 'code', source: 'v = 0', metadata: {}, outputs: [], execution_count: null };
    const put = await page.request.put(`/api/contents/${notebook}`, {
      data: {
        type: 'notebook',
        format: 'json',
        content: {
          cells: [cell],
          metadata: {
            kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
          },
          nbformat: 4,
          nbformat_minor: 5
        }
      }
    });
    expect(put.status()).toBeLessThan(300);
    for (let i = 1; i <= 120; i++) {
      const r = await page.request.post('/jupyter-branch/api/document', {
        data: { path: notebook, reason: 'idle', cells: [{ id: 'c1', cell_type: 'code', source: `v = ${i}` }] }
      });
      expect(r.status()).toBe(200);
    }
    await page.filebrowser.open(notebook);
    await notebookCell(page, 0).click();
    const panel = await openPanel(page, 'cell');
    const versions = panel.locator('.jp-BranchVersion');
    await expect(versions).toHaveCount(100, RECORDED);
    await expect(panel.locator('.jp-BranchCellHistory-heading')).toContainText('Newest 100 of 121 versions');
    await expect(versions.first()).toContainText('v = 120');
    await panel.locator('.jp-BranchCellHistory-more').click();
    await expect(versions).toHaveCount(121, RECORDED);
    await expect(versions.last()).toContainText('v = 0');
    await expect(panel.locator('.jp-BranchCellHistory-more')).toHaveCount(0);
  });

  test('a script in an old HTML output never runs from history', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(
      page,
      0,
      "from IPython.display import HTML\nHTML('<b id=\"hist-html\">bold</b><script>window.__historyScriptRan = (window.__historyScriptRan || 0) + 1</script>')"
    );
    await waitForExecutions(page, notebook, 1);
    await runCell(page, 0, 'print(1)');
    const tree = await waitForExecutions(page, notebook, 2);
    // whatever the live run did in the notebook itself, history must add nothing
    const before = await page.evaluate(() => (window as any).__historyScriptRan ?? 0);

    await notebookCell(page, 0).click();
    const panel = await openPanel(page, 'cell');
    // rendered (sanitized: untrusted), in the panel, once: at the run that
    // made it, not again at an edit the document report may have recorded
    await expect(panel.locator('.jp-BranchVersion b', { hasText: 'bold' })).toBeVisible(RECORDED);
    await expect(panel.locator('.jp-BranchVersion[data-event="edit"] .jp-BranchOutputs')).toHaveCount(0);
    const old = tree.states.filter(s => s.event === 'execute')[0];
    await page.evaluate(
      async ([state, path]) => {
        await (window as any).jupyterapp.commands.execute('jupyter-branch:open-state', { state, path });
      },
      [old.id, notebook]
    );
    await expect(page.locator('.jp-BranchStateView b', { hasText: 'bold' })).toBeVisible(RECORDED);
    // A script would run as its element is attached, before the output shows;
    // two frames later anything the rendering scheduled has happened too.
    await page.evaluate(() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done))));
    expect(await page.evaluate(() => (window as any).__historyScriptRan ?? 0)).toBe(before);
    expect(await page.locator('.jp-BranchStateView script').count()).toBe(0);
    await saveDocScreenshot(page, 'state-view');
  });

  test('search finds code, markdown and outputs and opens the state', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, "print('giraffe_loss', 21 * 2 / 100)");
    await waitForExecutions(page, notebook, 1);
    await runExisting(page, await appendCell(page, 'markdown', '# zebra notes'));
    await expect
      .poll(async () => {
        const tree = await getTree(page.request, notebook);
        const head = await getState(page.request, notebook, tree.head!);
        return head.cells.map(c => c.source);
      }, RECORDED)
      .toContain('# zebra notes');

    const panel = await openPanel(page, 'search');
    const input = panel.locator('.jp-BranchSearch-input');
    for (const [query, where] of [
      ['giraffe_loss', 'source'],
      ['0.42', 'outputs'],
      ['zebra', 'source']
    ]) {
      await input.fill(query);
      await input.press('Enter');
      // the previous query's results stay until this one's replace them
      const first = panel.locator('.jp-BranchSearch-result').first();
      await expect(first.locator('.jp-BranchSearch-snippet')).toContainText(query, RECORDED);
      await expect(first.locator('.jp-BranchSearch-meta')).toContainText(where);
    }
    await input.fill('giraffe_loss');
    await input.press('Enter');
    const result = panel.locator('.jp-BranchSearch-result').first();
    // not the zebra result still shown from the last query
    await expect(result.locator('.jp-BranchSearch-snippet')).toContainText('giraffe_loss', RECORDED);
    await saveDocScreenshot(page, 'search');
    const cellId = (await getTree(page.request, notebook)).states.find(s => s.event === 'execute')!
      .cell_id!;
    await result.click();
    await expect(
      page.locator(`.jp-BranchStateView .jp-BranchCell.jp-mod-highlight[data-cell-id="${cellId}"]`)
    ).toBeVisible(RECORDED);
  });
});

test.describe('go back', () => {
  test('restore a whole state, and the notice about kernel variables', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, "a = 'A'; print(a)");
    let tree = await waitForExecutions(page, notebook, 1);
    const first = lastRun(tree, "a = 'A'; print(a)");
    await runCell(page, 0, "print('B')");
    tree = await waitForExecutions(page, notebook, 2);

    const panel = await selectRow(page, first.id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:restore-state"]').click();
    await expect(notebookCell(page, 0).locator('.cm-content')).toHaveText("a = 'A'; print(a)", RECORDED);
    await expect(notebookCell(page, 0).locator('.jp-OutputArea-output')).toHaveText('A');
    const notice = page.locator('.jp-toast-message, .Toastify__toast').filter({ hasText: 'kernel variables are not' });
    await expect(notice.first()).toBeVisible(RECORDED);
    await saveDocScreenshot(page, 'restore-notice');
    // the restore is a state of its own, and Head is on it
    await expect
      .poll(async () => {
        const t = await getTree(page.request, notebook);
        return t.states.find(s => s.id === t.head)?.event;
      }, RECORDED)
      .toBe('restore');
  });

  test('restore one cell, leaving the others as they are', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, 'p = 1');
    await runExisting(page, await appendCell(page, 'code', 'q = 1'));
    let tree = await waitForExecutions(page, notebook, 2);
    const pOne = lastRun(tree, 'p = 1');
    await runCell(page, 0, 'p = 2');
    await runCell(page, 1, 'q = 2');
    tree = await waitForExecutions(page, notebook, 4);

    const panel = await selectRow(page, pOne.id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:restore-cell"]').click();
    await expect(notebookCell(page, 0).locator('.cm-content')).toHaveText('p = 1', RECORDED);
    await expect(notebookCell(page, 1).locator('.cm-content')).toHaveText('q = 2');
  });

  test('restore is refused while a cell runs', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, 'x = 1');
    const tree = await waitForExecutions(page, notebook, 1);
    // Runs until the test creates release-run beside the notebook (the kernel's
    // working directory), five minutes at most: however slow the steps below
    // are on a busy machine, the cell is still running during them.
    const release = `${notebook.slice(0, notebook.lastIndexOf('/') + 1)}release-run`;
    const wait =
      "import os, time; waited = [time.sleep(0.1) for _ in range(3000) if not os.path.exists('release-run')]";
    await appendCell(page, 'code', wait);
    await notebookCell(page, 1).locator('.cm-content').click();
    await page.keyboard.press('Control+Enter');
    await expect(notebookCell(page, 1).locator('.jp-InputArea-prompt')).toHaveText('[*]:', RECORDED);

    const panel = await selectRow(page, lastRun(tree, 'x = 1').id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:restore-state"]').click();
    const refusal = page.locator('.jp-toast-message, .Toastify__toast').filter({ hasText: 'running' });
    await expect(refusal.first()).toBeVisible(RECORDED);
    await expect(notebookCell(page, 1).locator('.cm-content')).toHaveText(wait);
    await expect(notebookCell(page, 1).locator('.jp-InputArea-prompt')).toHaveText('[*]:');
    // (released, not interrupted: Galata's kernel route handler cannot parse
    // the 204 of an interrupt)
    const put = await page.request.put(`/api/contents/${release}`, {
      data: { type: 'file', format: 'text', content: '' }
    });
    expect(put.status(), await put.text()).toBeLessThan(300);
    await expect(notebookCell(page, 1).locator('.jp-InputArea-prompt')).toHaveText('[2]:', RECORDED);
  });

  test('branches: the other line of work opens from its branch point; the tree shows all', async ({
    page,
    tmpPath
  }) => {
    // The shape only: document reports as the frontend sends them, no kernel;
    // then the file is saved as the document now is, and opened.
    const notebook = `${tmpPath}/shape.ipynb`;
    const report = async (source: string) => {
      const r = await page.request.post('/jupyter-branch/api/document', {
        data: { path: notebook, cells: [{ id: 'c1', cell_type: 'code', source }] }
      });
      expect(r.status(), await r.text()).toBe(200);
    };
    await report('x = 1');
    await report('x = 2');
    await report('x = 1'); // back, as ctrl-z does
    await report('x = 1; x + 10');
    const put = await page.request.put(`/api/contents/${notebook}`, {
      data: {
        type: 'notebook',
        format: 'json',
        content: {
          cells: [
            {
              id: 'c1',
              cell_type: 'code',
              source: 'x = 1; x + 10',
              metadata: {},
              outputs: [],
              execution_count: null
            }
          ],
          metadata: {
            kernelspec: { name: 'python3', display_name: 'Python 3 (ipykernel)', language: 'python' }
          },
          nbformat: 4,
          nbformat_minor: 5
        }
      }
    });
    expect(put.status()).toBeLessThan(300);
    const tree = await getTree(page.request, notebook);
    expect(tree.states.length).toBeGreaterThanOrEqual(3);

    await page.filebrowser.open(notebook);
    const panel = await openPanel(page, 'timeline');
    const branchButton = panel.locator('.jp-BranchRow-branches');
    await expect(branchButton).toHaveCount(1, RECORDED);
    await branchButton.click();
    await page.locator('.jp-BranchPanel-branchMenu .lm-Menu-item').first().click();
    await expect(panel.locator('.jp-BranchPanel-banner')).toBeVisible();
    await expect(panel.locator('.jp-BranchRow').first()).toContainText('x = 2');
    await panel.locator('.jp-BranchPanel-banner button').click();
    await expect(panel.locator('.jp-BranchRow').first()).toContainText('x = 1; x + 10');

    await panel.locator('.jp-BranchPanel-tab[data-view="tree"]').click();
    await expect(panel.locator('.jp-BranchTreeRow')).toHaveCount(tree.states.length);
  });

  test('diff a state with the notebook as it is now', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, "print('old line')");
    const tree = await waitForExecutions(page, notebook, 1);
    await runCell(page, 0, "print('new line')");
    await waitForExecutions(page, notebook, 2);

    const panel = await selectRow(page, lastRun(tree, "print('old line')").id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:diff-state"]').click();
    const diff = page.locator('.jp-BranchDiff');
    await expect(diff.locator('.jp-mod-removed').filter({ hasText: "print('old line')" }).first()).toBeVisible(RECORDED);
    await expect(diff.locator('.jp-mod-added').filter({ hasText: "print('new line')" }).first()).toBeVisible();
    await saveDocScreenshot(page, 'diff');
  });

  test('diff two states, the other picked from a list', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, "print('first')");
    await waitForExecutions(page, notebook, 1);
    await runCell(page, 0, "print('second')");
    await waitForExecutions(page, notebook, 2);
    await runCell(page, 0, "print('third')");
    const tree = await waitForExecutions(page, notebook, 3);
    const first = lastRun(tree, "print('first')");
    const second = lastRun(tree, "print('second')");

    const panel = await selectRow(page, first.id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:diff-states"]').click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    const choice = dialog.locator('option', { hasText: second.id.slice(0, 12) });
    await dialog.locator('select').selectOption({ label: (await choice.textContent())! });
    await dialog.locator('.jp-mod-accept').click();
    // against the second run, not the notebook (which shows the third)
    const diff = page.locator('.jp-BranchDiff');
    await expect(diff.locator('.jp-mod-removed').filter({ hasText: "print('first')" }).first()).toBeVisible(RECORDED);
    await expect(diff.locator('.jp-mod-added').filter({ hasText: "print('second')" }).first()).toBeVisible();
    await expect(diff).not.toContainText("print('third')");
  });
});

test.describe('keep a result', () => {
  test('export a state, with and without outputs', async ({ page, tmpPath }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, "print('keep me')");
    const tree = await waitForExecutions(page, notebook, 1);
    const state = lastRun(tree, "print('keep me')");

    const panel = await selectRow(page, state.id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:export-state"]').click();
    const stem = notebook.split('/').pop()!.replace(/\.ipynb$/, '');
    const exported = `${tmpPath}/${stem}-${state.id.slice(0, 8)}.ipynb`;
    await expect(page.locator('.lm-TabBar-tab', { hasText: `${stem}-${state.id.slice(0, 8)}` }).first()).toBeVisible(RECORDED);
    // it names its kernel, so Lab starts one without asking
    await expect(
      page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName')
    ).toHaveText(/Python 3/, RECORDED);
    await expect(page.locator('.jp-Dialog')).toHaveCount(0);
    await saveDocScreenshot(page, 'export');
    const file = await (await page.request.get(`/api/contents/${exported}?content=1`)).json();
    expect(file.content.cells[0].source).toBe("print('keep me')");
    expect(JSON.stringify(file.content.cells[0].outputs)).toContain('keep me');

    await page.evaluate(
      async ([s, path]) => {
        await (window as any).jupyterapp.commands.execute('jupyter-branch:export-state-no-outputs', {
          state: s,
          path
        });
      },
      [state.id, notebook]
    );
    const bare = `${tmpPath}/${stem}-${state.id.slice(0, 8)}-no-outputs.ipynb`;
    await expect
      .poll(async () => (await page.request.get(`/api/contents/${bare}?content=1`)).status(), RECORDED)
      .toBe(200);
    const bareFile = await (await page.request.get(`/api/contents/${bare}?content=1`)).json();
    expect(bareFile.content.cells[0].outputs).toEqual([]);
  });

  test('label a state', async ({ page }) => {
    const notebook = await newNotebook(page);
    await runCell(page, 0, 'lr = 3e-4');
    const tree = await waitForExecutions(page, notebook, 1);
    const state = lastRun(tree, 'lr = 3e-4');

    const panel = await selectRow(page, state.id);
    await panel.locator('.jp-BranchPanel-action[data-command="jupyter-branch:label-state"]').click();
    const dialog = page.locator('.jp-Dialog');
    await dialog.locator('input').fill('baseline');
    await dialog.locator('.jp-mod-accept').click();
    await expect(panel.locator(`.jp-BranchRow[data-state-id="${state.id}"] .jp-BranchRow-label`)).toHaveText('baseline', RECORDED);
    const labelled = (await getTree(page.request, notebook)).states.find(s => s.id === state.id) as any;
    expect(labelled.label).toBe('baseline');
  });
});
