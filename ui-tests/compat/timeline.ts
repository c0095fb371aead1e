/**
 * The history panel's own views in a setup (Notebook 7: `more` in nb7.spec.ts):
 * the Timeline shows one row per run (the edit that typed a run's code is
 * folded into the run's row), and a notebook reopened after its tab was closed
 * during a run says so in the panel and brings that run's outputs back with
 * one click, without the reopening making any state.
 */
import { Page } from '@playwright/test';

import { getTree, ITree } from '../tests/history';
import {
  cellEditor,
  cellOutput,
  createNotebook,
  describe,
  expect,
  ISetupOptions,
  openNotebook,
  openPanel,
  RECORDED,
  runCell,
  setSource,
  test
} from './compat';

/** Runs until the test writes `release-<name>` beside the notebook, then prints. */
const waitFor = (name: string) =>
  `import os, time\nwaited = [time.sleep(0.1) for _ in range(3000) if not os.path.exists('release-${name}')]\nprint('finished while closed')`;

/** Save the open notebook as the page's Save does; resolves once saved. */
async function save(page: Page, path: string): Promise<void> {
  await page.evaluate(async p => {
    const app = (window as any).jupyterapp;
    for (const w of app.shell.widgets('main')) {
      if (w.context?.localPath === p) {
        await w.context.save();
        return;
      }
    }
    throw new Error(`${p} is not open in this page`);
  }, path);
}

export function timelineTests(setup: string, options: ISetupOptions): void {
  test('the panel folds edits into runs and brings back runs that finished while the tab was closed', async ({
    page,
    context,
    api
  }) => {
    const name = `${setup}-closed-${Date.now().toString(36)}`;
    const path = await createNotebook(api, name, ['', waitFor(name)]);
    const first = await context.newPage();
    await openNotebook(first, path, options);

    // two runs of cell 1, each typed and left a moment first (its edit recorded)
    for (const [code, output] of [
      ['a = 6 * 7; a', '42'],
      ['a = 6 * 8; a', '48']
    ]) {
      await setSource(first, 0, code);
      await expect
        .poll(async () => {
          const t = await getTree(api, path);
          const head = t.states.find(s => s.id === t.head);
          return [head?.event, head?.preview];
        }, RECORDED)
        .toEqual(['edit', code]);
      await runCell(first, 0, output, options);
    }
    await save(first, path);
    // the long cell starts, and its tab closes while it runs
    await cellEditor(first, 1).click();
    await first.keyboard.press('Control+Enter');
    await expect(
      first
        .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell')
        .nth(1)
        .locator('.jp-InputArea-prompt')
    ).toHaveText('[*]:', RECORDED);
    await first.close({ runBeforeUnload: false });
    const put = await api.put(`/api/contents/release-${name}`, {
      data: { type: 'file', format: 'text', content: '' }
    });
    expect(put.status(), await put.text()).toBeLessThan(300);
    let closed: ITree = { head: null, states: [] };
    await expect
      .poll(async () => {
        closed = await getTree(api, path);
        return closed.states.filter(
          s => s.event === 'execute' && s.preview === 'import os, time'
        ).length;
      }, RECORDED)
      .toBe(1);
    const long = closed.states.find(s => s.preview === 'import os, time')!;
    expect(closed.head, describe(closed)).toBe(long.id);

    // reopened: the panel says so, and shows one row per run, the long one on top
    await openNotebook(page, path, options);
    const panel = await openPanel(page);
    const notice = panel.locator('.jp-BranchCatchUp');
    await expect(notice).toContainText(
      '1 cell finished while this notebook was closed',
      RECORDED
    );
    await expect(cellOutput(page, 1)).toHaveCount(0);
    const runs = closed.states.filter(s => s.event === 'execute').reverse();
    expect(runs).toHaveLength(3);
    const rows = panel.locator('.jp-BranchRow');
    await expect(rows.first()).toHaveAttribute('data-state-id', long.id);
    await expect(panel.locator('.jp-BranchRow[data-event="edit"]')).toHaveCount(
      0
    );
    await expect(
      panel.locator('.jp-BranchRow[data-event="execute"]')
    ).toHaveCount(3);
    await expect(
      panel.locator('.jp-BranchRow[data-event="execute"] .jp-BranchRow-cell')
    ).toHaveText(['cell 2', 'cell 1', 'cell 1']);
    for (const run of runs.slice(1)) {
      // the edit that typed each short run's code is folded into its row
      await expect(
        panel.locator(`.jp-BranchRow[data-state-id="${run.id}"]`)
      ).toHaveAttribute('data-folded', run.parent!);
    }
    await panel.locator('.jp-BranchTimeline-everyEdit input').check();
    await expect(panel.locator('.jp-BranchRow[data-event="edit"]')).toHaveCount(
      2
    );

    await notice.locator('.jp-BranchCatchUp-bring').click();
    await expect(cellOutput(page, 1)).toHaveText('finished while closed');
    await expect(cellOutput(page, 0)).toHaveText('48');
    await expect(notice).toBeHidden();
    // reopening and bringing the outputs back made no state
    const after = await getTree(api, path);
    expect(
      after.states.map(s => s.id),
      describe(after)
    ).toEqual(closed.states.map(s => s.id));
    expect(after.head).toBe(long.id);
  });
}
