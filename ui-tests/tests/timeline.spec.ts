/**
 * The Timeline as a user reads it, in a real browser: one row per run (the
 * edit that typed a run's code folds into it), cells named by their place,
 * who made a state when it was not the user; runs that finished while the
 * notebook was closed brought back with one click; and a panel that follows
 * what happens in another tab at once, without polling.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import {
  appendCell,
  cellOutput,
  cellPrompt,
  getTree,
  IStateSummary,
  ITree,
  newNotebook,
  runCell,
  saveDocScreenshot,
  setCellSource,
  waitForExecutions
} from './history';

const RECORDED = { timeout: 20_000 };
/** Well under the panel's 15 s fallback poll: only a live event is this fast. */
const AT_ONCE = { timeout: 5_000 };

/**
 * Set cell `index` to `source` (or add a cell holding it) and pause, as a user
 * does before running it: wait until the edit is recorded (the report after
 * the idle delay). A run sent at once may be recorded before the report that
 * goes with it, and then carries the new source itself, with no edit before it.
 */
async function typeAndPause(
  page: IJupyterLabPageFixture,
  notebook: string,
  index: number | 'new',
  source: string
): Promise<number> {
  const at =
    index === 'new'
      ? await appendCell(page, 'code', source)
      : (await setCellSource(page, index, source), index);
  await expect
    .poll(async () => {
      const t = await getTree(page.request, notebook);
      const head = t.states.find(s => s.id === t.head);
      return [head?.event, head?.preview];
    }, RECORDED)
    .toEqual(['edit', source.split('\n')[0]]);
  return at;
}

/** Run cell `index` as it is, in place; wait until it ran. */
async function run(page: IJupyterLabPageFixture, index: number) {
  expect(await page.notebook.runCell(index, true), `cell ${index} ran`).toBe(
    true
  );
}

/** The history panel of `page`, on its Timeline tab. */
async function timeline(page: Page): Promise<Locator> {
  const panel = page.locator('#jupyter-branch-history');
  if (!(await panel.isVisible())) {
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'jupyter-branch:open-panel'
      );
    });
  }
  await panel.locator('.jp-BranchPanel-tab[data-view="timeline"]').click();
  return panel;
}

/** The ids of the rows the Timeline shows, newest first. */
async function rowIds(panel: Locator): Promise<string[]> {
  return panel
    .locator('.jp-BranchRow')
    .evaluateAll(rows => rows.map(r => (r as HTMLElement).dataset.stateId!));
}

/** The states of Head's branch, newest first (the histories here are one line). */
function branch(t: ITree): IStateSummary[] {
  const byId = new Map(t.states.map(s => [s.id, s]));
  const found: IStateSummary[] = [];
  let id = t.head;
  while (id && byId.has(id)) {
    found.push(byId.get(id)!);
    id = byId.get(id)!.parent;
  }
  return found;
}

test.describe('a quieter Timeline', () => {
  test('four runs in a new notebook are four rows; every edit on request', async ({
    page
  }) => {
    test.setTimeout(120_000);
    const notebook = await newNotebook(page);
    // each run after a pause, as people run code: its edit is recorded first
    await run(page, await typeAndPause(page, notebook, 0, 'a = 1'));
    await run(
      page,
      await typeAndPause(page, notebook, 'new', "b = a + 1\nprint('b is', b)")
    );
    await run(page, await typeAndPause(page, notebook, 0, 'a = 10'));
    await run(
      page,
      await typeAndPause(page, notebook, 1, "b = a + 2\nprint('b is', b)")
    );
    let t = await waitForExecutions(page, notebook, 4);

    const panel = await timeline(page);
    const runs = t.states.filter(s => s.event === 'execute').reverse();
    await expect(panel.locator('.jp-BranchRow').first()).toHaveAttribute(
      'data-state-id',
      runs[0].id,
      RECORDED
    );
    // every edit typed the code its run ran: one row per run, and the
    // notebook's first save
    const shown = await rowIds(panel);
    const onBranch = branch(t);
    expect(onBranch.length, 'every state of the history').toBeGreaterThan(
      shown.length
    );
    expect(shown.filter(id => runs.some(r => r.id === id))).toEqual(
      runs.map(r => r.id)
    );
    await expect(panel.locator('.jp-BranchRow[data-event="edit"]')).toHaveCount(
      0
    );
    expect(shown.length).toBeLessThanOrEqual(5);
    // each run's row holds the edit that typed its code
    for (const ran of runs) {
      const before = t.states.find(s => s.id === ran.parent)!;
      expect(before.event, `the state before ${ran.preview}`).toBe('edit');
      const folded = await panel
        .locator(`.jp-BranchRow[data-state-id="${ran.id}"]`)
        .getAttribute('data-folded');
      expect(folded, `the edit before ${ran.preview}`).toBe(before.id);
    }
    // cells by their place and first line, never by id
    const cells = panel.locator('.jp-BranchRow[data-event="execute"]');
    await expect(cells.locator('.jp-BranchRow-cell')).toHaveText([
      'cell 2',
      'cell 1',
      'cell 2',
      'cell 1'
    ]);
    await expect(cells.locator('.jp-BranchRow-text')).toHaveText([
      'b = a + 2',
      'a = 10',
      'b = a + 1',
      'a = 1'
    ]);
    const list = panel.locator('.jp-BranchTimeline');
    for (const id of new Set(runs.map(r => r.cell_id!))) {
      await expect(list).not.toContainText(id.slice(0, 8));
    }
    // my own runs say nothing about who ran them
    await expect(panel.locator('.jp-BranchRow-by')).toHaveCount(0);
    await saveDocScreenshot(page, 'timeline-quiet');

    // every edit, on request
    const everyEdit = panel.locator('.jp-BranchTimeline-everyEdit input');
    await everyEdit.check();
    await expect(panel.locator('.jp-BranchRow')).toHaveCount(onBranch.length);
    expect(await rowIds(panel)).toEqual(onBranch.map(s => s.id));
    await everyEdit.uncheck();
    await expect(panel.locator('.jp-BranchRow')).toHaveCount(shown.length);

    // an edit left for a while, then changed again before the run, stays a row
    await setCellSource(page, 0, 'a = 11');
    await expect
      .poll(async () => {
        t = await getTree(page.request, notebook);
        return t.states.find(s => s.id === t.head)?.preview;
      }, RECORDED)
      .toBe('a = 11');
    const leftAlone = t.head!;
    await runCell(page, 0, 'a = 12');
    t = await waitForExecutions(page, notebook, 5);
    const last = t.states.filter(s => s.event === 'execute').pop()!;
    await expect(panel.locator('.jp-BranchRow').first()).toHaveAttribute(
      'data-state-id',
      last.id,
      RECORDED
    );
    expect((await rowIds(panel)).slice(0, 2)).toEqual([last.id, leftAlone]);
    await expect(
      panel.locator(`.jp-BranchRow[data-state-id="${leftAlone}"]`)
    ).toContainText('a = 11');
  });

  test('rows say who ran a cell when it was not the user', async ({
    page,
    browser
  }) => {
    test.setTimeout(120_000);
    const notebook = await newNotebook(page);
    await runCell(page, 0, 'x = 1');
    await waitForExecutions(page, notebook, 1);

    // an agent on the same kernel, naming no cell (as any kernel client may)
    await page.evaluate(async () => {
      const app = (window as any).jupyterapp;
      const kernel = app.shell.currentWidget.sessionContext.session.kernel;
      const agent = app.serviceManager.kernels.connectTo({
        model: kernel.model
      });
      await agent.requestExecute({ code: "print('from an agent')" }).done;
      agent.dispose();
    });
    let t = await waitForExecutions(page, notebook, 2);
    const agentRun = t.states.find(s => s.preview === "print('from an agent')")!;
    expect(agentRun.by_client).toBe('kernel client');

    // a colleague (another browser: another Jupyter user) edits the notebook
    const colleague = await browser.newContext();
    const me = await (await page.request.get('/api/me')).json();
    const them = await (await colleague.request.get('/api/me')).json();
    expect(them.identity.username).not.toBe(me.identity.username);
    const cellId = t.states.find(
      s => s.event === 'execute' && s.preview === 'x = 1'
    )!.cell_id!;
    const edited = await colleague.request.post('/jupyter-branch/api/document', {
      data: {
        path: notebook,
        cells: [{ id: cellId, cell_type: 'code', source: 'x = 2  # try this' }]
      }
    });
    expect(edited.status(), await edited.text()).toBe(200);
    await colleague.close();
    t = await getTree(page.request, notebook);
    const theirEdit = t.states.find(s => s.id === t.head)!;
    expect(theirEdit.by_user).toBe(them.identity.username);

    const panel = await timeline(page);
    const row = (id: string) =>
      panel.locator(`.jp-BranchRow[data-state-id="${id}"]`);
    await expect(row(theirEdit.id)).toBeVisible(RECORDED);
    await expect(row(theirEdit.id).locator('.jp-BranchRow-by')).toHaveText(
      `by ${them.identity.username}`
    );
    await expect(row(agentRun.id).locator('.jp-BranchRow-by')).toHaveText(
      'by a kernel client'
    );
    await expect(row(agentRun.id).locator('.jp-BranchRow-cell')).toHaveText(
      'not in a cell'
    );
    const mine = t.states.find(
      s => s.event === 'execute' && s.preview === 'x = 1'
    )!;
    await expect(row(mine.id)).toBeVisible();
    await expect(row(mine.id).locator('.jp-BranchRow-by')).toHaveCount(0);
  });
});

test.describe('back from a closed tab', () => {
  test('runs that finished while the notebook was closed come back with one click', async ({
    page
  }) => {
    test.setTimeout(150_000);
    const notebook = await newNotebook(page);
    const folder = notebook.slice(0, notebook.lastIndexOf('/') + 1);
    // runs until the test creates release-closed beside the notebook
    const code =
      "import os, time\nwaited = [time.sleep(0.1) for _ in range(3000) if not os.path.exists('release-closed')]\nprint('finished while closed')";
    await setCellSource(page, 0, code);
    await appendCell(page, 'code', "print('seen before')");
    expect(await page.notebook.runCell(1, true)).toBe(true);
    await expect(cellOutput(page, 1)).toHaveText('seen before');
    expect(await page.notebook.save()).toBe(true);
    await page.notebook.selectCells(0);
    await page.keyboard.press('Control+Enter');
    await expect(cellPrompt(page, 0)).toHaveText('[*]:', RECORDED);

    // the tab closes (its changes discarded) while the cell runs on
    expect(await page.notebook.close(true)).toBe(true);
    const put = await page.request.put(`/api/contents/${folder}release-closed`, {
      data: { type: 'file', format: 'text', content: '' }
    });
    expect(put.status(), await put.text()).toBeLessThan(300);
    const closed = await waitForExecutions(page, notebook, 2);
    const ran = closed.states.find(
      s => s.event === 'execute' && s.preview === 'import os, time'
    )!;
    expect(closed.head).toBe(ran.id);

    // reopened: a notice says so, in the panel and as a notification
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    const panel = await timeline(page);
    const notice = panel.locator('.jp-BranchCatchUp');
    await expect(notice).toContainText(
      '1 cell finished while this notebook was closed',
      RECORDED
    );
    await expect(notice).toContainText('cell 1');
    await expect(
      page
        .locator('.jp-toast-message, .Toastify__toast')
        .filter({ hasText: 'finished while this notebook was closed' })
        .first()
    ).toBeVisible();
    await expect(cellOutput(page, 0)).toHaveCount(0);
    await saveDocScreenshot(page, 'closed-tab-notice');
    // reopening made no state: the run is Head, at the top of the Timeline
    const reopened = await getTree(page.request, notebook);
    expect(reopened.states.map(s => s.id)).toEqual(
      closed.states.map(s => s.id)
    );
    expect(reopened.head).toBe(ran.id);
    await expect(panel.locator('.jp-BranchRow').first()).toHaveAttribute(
      'data-state-id',
      ran.id
    );

    await notice.locator('.jp-BranchCatchUp-bring').click();
    await expect(cellOutput(page, 0)).toHaveText('finished while closed');
    await expect(cellPrompt(page, 0)).toHaveText(
      `[${ran.execution_count}]:`
    );
    await expect(cellOutput(page, 1)).toHaveText('seen before');
    await expect(notice).toBeHidden();

    // saved with its outputs, the notebook reopens without a notice, and the
    // history has still not moved
    expect(await page.notebook.save()).toBe(true);
    expect(await page.notebook.close(true)).toBe(true);
    const checked = page.waitForResponse(
      r =>
        r.url().includes('/jupyter-branch/api/states/') &&
        r.url().includes(encodeURIComponent(notebook))
    );
    expect(await page.notebook.openByPath(notebook)).toBe(true);
    await checked;
    await expect(cellOutput(page, 0)).toHaveText('finished while closed');
    await expect(notice).toBeHidden();
    const saved = await getTree(page.request, notebook);
    expect(saved.head).toBe(ran.id);
    expect(saved.states).toHaveLength(closed.states.length);
  });
});

test.describe('live history', () => {
  test('a label and a run show in another tab at once, without its polling', async ({
    page,
    context
  }) => {
    test.setTimeout(150_000);
    const notebook = await newNotebook(page);
    await runCell(page, 0, 'lr = 3e-4');
    const first = (await waitForExecutions(page, notebook, 1)).states.find(
      s => s.event === 'execute'
    )!;
    const panel = await timeline(page);
    // saved, so that the second tab opens the same cells (two tabs on one
    // notebook without collaboration each report their own document)
    expect(await page.notebook.save()).toBe(true);

    // a second tab on the same notebook, its panel open
    const other = await context.newPage();
    await other.goto(`lab/tree/${notebook}`);
    await other.waitForFunction(
      () =>
        (window as any).jupyterapp?.commands.hasCommand(
          'jupyter-branch:open-panel'
        ),
      null,
      { timeout: 60_000 }
    );
    const otherPanel = await timeline(other);
    const otherRow = (id: string) =>
      otherPanel.locator(`.jp-BranchRow[data-state-id="${id}"]`);
    await expect(otherRow(first.id)).toBeVisible(RECORDED);
    // from here on the second panel never asks by itself: whatever it shows
    // next came from the server's events
    await other.evaluate(() => {
      const app = (window as any).jupyterapp;
      const history = [...app.shell.widgets('right')].find(
        (w: any) => w.id === 'jupyter-branch-history'
      );
      history._stopTimer();
    });

    // a label set in the first tab
    await panel.locator(`.jp-BranchRow[data-state-id="${first.id}"]`).click();
    await panel
      .locator('.jp-BranchPanel-action[data-command="jupyter-branch:label-state"]')
      .click();
    await page.locator('.jp-Dialog input').fill('baseline');
    await page.locator('.jp-Dialog .jp-mod-accept').click();
    await expect(
      panel.locator(`.jp-BranchRow[data-state-id="${first.id}"] .jp-BranchRow-label`)
    ).toHaveText('baseline', RECORDED);
    await expect(otherRow(first.id).locator('.jp-BranchRow-label')).toHaveText(
      'baseline',
      AT_ONCE
    );

    // a run in the first tab (of the same code: both tabs keep the same cells)
    await run(page, 0);
    const second = (await waitForExecutions(page, notebook, 2)).states
      .filter(s => s.event === 'execute')
      .pop()!;
    await expect(otherRow(second.id)).toBeVisible(AT_ONCE);
    await expect(otherPanel.locator('.jp-BranchRow').first()).toHaveAttribute(
      'data-state-id',
      second.id
    );
    await other.close();
  });
});
