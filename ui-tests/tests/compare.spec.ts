/**
 * Comparing two runs of a cell, and two states, in a real browser with a
 * real kernel: the code's and the outputs' line diffs, images side by side,
 * swiped, in onion skin and as a pixel difference (different images, and
 * identical ones), HTML side by side and untrusted, and two states compared
 * from the Timeline, each changed cell opening its own comparison.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import { Locator, Page } from '@playwright/test';

import {
  appendCell,
  lastRun,
  newNotebook,
  runCell,
  saveDocScreenshot,
  waitForExecutions
} from './history';

const RECORDED = { timeout: 20_000 };

/**
 * Cell 0 of the first test: `png(box)`, a 160x80 blue PNG with, given a box
 * (x0, y0, x1, y1), a red rectangle; written with struct and zlib only.
 */
const PNG_MAKER = String.raw`import struct, zlib
from IPython.display import HTML, Image, display
BLUE, RED = (40, 90, 200), (220, 40, 40)
def png(box=None, w=160, h=80):
    def colour(x, y):
        inside = box and box[0] <= x < box[2] and box[1] <= y < box[3]
        return RED if inside else BLUE
    rows = b''.join(b'\x00' + bytes(c for x in range(w) for c in colour(x, y)) for y in range(h))
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    header = struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')`;

/** Three runs of one cell: the first two images differ, the last two not. */
const RUNS = [
  "print('loss 0.50')\ndisplay(Image(png()))",
  "print('loss 0.25')\ndisplay(Image(png(box=(40, 20, 80, 60))))",
  "print('loss 0.20')\ndisplay(Image(png(box=(40, 20, 80, 60))))"
];

async function openPanel(page: Page, view: 'timeline' | 'cell') {
  const panel = page.locator('#jupyter-branch-history');
  if (!(await panel.isVisible())) {
    await page.evaluate(async () => {
      await (window as any).jupyterapp.commands.execute(
        'jupyter-branch:open-panel'
      );
    });
  }
  await panel.locator(`.jp-BranchPanel-tab[data-view="${view}"]`).click();
  return panel;
}

/**
 * A new notebook, with the file browser folded away so that the comparison
 * beside the notebook has room (and shows in the screenshots).
 */
async function start(page: IJupyterLabPageFixture): Promise<string> {
  const notebook = await newNotebook(page);
  await page.evaluate(() => (window as any).jupyterapp.shell.collapseLeft());
  return notebook;
}

function notebookCell(page: Page, index: number): Locator {
  return page
    .locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')
    .nth(index);
}

/** The comparison whose B side is state `b`. */
function comparison(page: Page, b: string): Locator {
  return page.locator('.jp-BranchCompare', {
    has: page.locator(
      `.jp-BranchCompare-side[data-side="b"][data-state-id="${b}"]`
    )
  });
}

/**
 * Which image the page shows at `share` (0 to 1) of the width of `overlay`,
 * half-way down: 'A', 'B' or something else.
 */
async function shownAt(overlay: Locator, share: number): Promise<string> {
  return overlay.evaluate((node, at) => {
    const box = node.getBoundingClientRect();
    const hit = document.elementFromPoint(
      box.left + box.width * at,
      box.top + box.height / 2
    );
    if (hit?.tagName !== 'IMG') {
      return String(hit?.className);
    }
    return hit.parentElement === node ? 'A' : 'B';
  }, share);
}

test.describe('compare two runs', () => {
  test('a run and the run before it: code, text, images in four modes', async ({
    page
  }) => {
    test.setTimeout(180_000);
    const notebook = await start(page);
    await runCell(page, 0, PNG_MAKER);
    await waitForExecutions(page, notebook, 1);
    const index = await appendCell(page, 'code', RUNS[0]);
    expect(await page.notebook.runCell(index, true)).toBe(true);
    await waitForExecutions(page, notebook, 2);
    await runCell(page, index, RUNS[1]);
    await waitForExecutions(page, notebook, 3);
    await runCell(page, index, RUNS[2]);
    const tree = await waitForExecutions(page, notebook, 4);
    const [second, third] = [
      lastRun(tree, "print('loss 0.25')"),
      lastRun(tree, "print('loss 0.20')")
    ];

    await notebookCell(page, index).click();
    const panel = await openPanel(page, 'cell');
    const versions = panel.locator('.jp-BranchVersion[data-event="execute"]');
    await expect(versions).toHaveCount(3, RECORDED);
    // the oldest run has no run before it
    await expect(
      versions.nth(2).locator('[data-command="jupyter-branch:compare-runs"]')
    ).toHaveCount(0);
    await versions
      .nth(1)
      .locator('[data-command="jupyter-branch:compare-runs"]')
      .click();

    const view = comparison(page, second.id);
    await expect(view).toBeVisible(RECORDED);
    const code = view.locator('.jp-BranchCompare-code');
    await expect(code.locator('.jp-mod-removed')).toHaveText([
      "-print('loss 0.50')",
      '-display(Image(png()))'
    ]);
    await expect(code.locator('.jp-mod-added')).toHaveText([
      "+print('loss 0.25')",
      '+display(Image(png(box=(40, 20, 80, 60))))'
    ]);
    const outputs = view.locator('.jp-BranchCompare-outputs');
    await expect(
      outputs.locator('.jp-mod-removed', { hasText: 'loss 0.50' })
    ).toHaveCount(1);
    await expect(
      outputs.locator('.jp-mod-added', { hasText: 'loss 0.25' })
    ).toHaveCount(1);
    await expect(view.locator('.jp-BranchCompare-side[data-side="a"]')).toContainText(
      '[2] · ok'
    );
    await expect(view.locator('.jp-BranchCompare-side[data-side="b"]')).toContainText(
      '[3] · ok'
    );

    // both images, side by side, different
    const image = view.locator('.jp-BranchCompareImage');
    await expect(image).toHaveCount(1);
    const sideBySide = image.locator('.jp-BranchCompareImage-figure img');
    await expect(sideBySide).toHaveCount(2);
    await expect(sideBySide.nth(0)).toBeVisible();
    await expect(sideBySide.nth(1)).toBeVisible();
    const [srcA, srcB] = await sideBySide.evaluateAll(imgs =>
      imgs.map(i => (i as HTMLImageElement).src)
    );
    expect(srcA).toMatch(/^data:image\/png;base64,/);
    expect(srcB).toMatch(/^data:image\/png;base64,/);
    expect(srcA).not.toBe(srcB);
    // the red box is 40x40 of 160x80 pixels
    const summary = image.locator('.jp-BranchCompareImage-summary');
    await expect(summary).toHaveText(/^12\.5% of pixels differ/, RECORDED);
    await saveDocScreenshot(page, 'compare-runs');

    // swipe: B shows left of the slider, A right of it
    await image.locator('.jp-BranchCompareImage-mode[data-mode="swipe"]').click();
    const overlay = image.locator('.jp-BranchCompareImage-overlay');
    await expect(overlay).toBeVisible();
    const slider = image.locator('.jp-BranchCompareImage-slider');
    await slider.fill('20');
    await expect.poll(() => shownAt(overlay, 0.1)).toBe('B');
    await expect.poll(() => shownAt(overlay, 0.5)).toBe('A');
    await slider.fill('80');
    await expect.poll(() => shownAt(overlay, 0.5)).toBe('B');
    await expect.poll(() => shownAt(overlay, 0.9)).toBe('A');

    // onion skin: B over all of A, as opaque as the slider says
    await image.locator('.jp-BranchCompareImage-mode[data-mode="onion"]').click();
    const top = image.locator('.jp-BranchCompareImage-top');
    const opacity = () => top.evaluate(n => getComputedStyle(n).opacity);
    await expect.poll(opacity).toBe('0.5');
    await slider.fill('0');
    await expect.poll(opacity).toBe('0');
    await slider.fill('100');
    await expect.poll(opacity).toBe('1');
    await expect.poll(() => shownAt(overlay, 0.9)).toBe('B');

    // the pixel difference: the box marked, A dimmed around it
    await image
      .locator('.jp-BranchCompareImage-mode[data-mode="difference"]')
      .click();
    const canvas = image.locator('canvas.jp-BranchCompareImage-difference');
    await expect(canvas).toBeVisible();
    const marked = await canvas.evaluate(node => {
      const c = node as HTMLCanvasElement;
      const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const at = (x: number, y: number) =>
        Array.from(data.slice((y * c.width + x) * 4, (y * c.width + x) * 4 + 3));
      return { size: [c.width, c.height], inBox: at(50, 30), outside: at(5, 5) };
    });
    expect(marked.size).toEqual([160, 80]);
    expect(marked.inBox).toEqual([255, 0, 170]);
    expect(marked.outside).not.toEqual([255, 0, 170]);
    expect(marked.outside).not.toEqual([40, 90, 200]); // dimmed
    await saveDocScreenshot(page, 'compare-images');

    // the last run has the same image as the one before it
    await versions
      .nth(0)
      .locator('[data-command="jupyter-branch:compare-runs"]')
      .click();
    const same = comparison(page, third.id);
    await expect(same).toBeVisible(RECORDED);
    await expect(
      same.locator('.jp-BranchCompareImage-summary')
    ).toHaveText('Identical: no pixel differs (0%)', RECORDED);
    await expect(
      same.locator('.jp-BranchCompare-outputs .jp-mod-added', {
        hasText: 'loss 0.20'
      })
    ).toHaveCount(1);
  });

  test('any two versions, picked in the Cell tab', async ({ page }) => {
    test.setTimeout(120_000);
    const notebook = await start(page);
    for (const [i, n] of [1, 2, 3].entries()) {
      await runCell(page, 0, `print('run ${n}')`);
      await waitForExecutions(page, notebook, i + 1);
    }
    await notebookCell(page, 0).click();
    const panel = await openPanel(page, 'cell');
    const versions = panel.locator('.jp-BranchVersion[data-event="execute"]');
    await expect(versions).toHaveCount(3, RECORDED);
    const compare = panel.locator('.jp-BranchPicks-compare');
    await expect(compare).toBeHidden();
    await versions.nth(2).locator('.jp-BranchPicks-pick input').check();
    await expect(compare).toBeDisabled();
    await versions.nth(0).locator('.jp-BranchPicks-pick input').check();
    await compare.click();
    const newest = await versions.nth(0).getAttribute('data-state-id');
    const view = comparison(page, newest!);
    await expect(view).toBeVisible(RECORDED);
    await expect(view.locator('.jp-BranchCompare-code .jp-mod-removed')).toHaveText(
      "-print('run 1')"
    );
    await expect(view.locator('.jp-BranchCompare-code .jp-mod-added')).toHaveText(
      "+print('run 3')"
    );
    await expect(view.locator('.jp-BranchCompare-outputs')).not.toContainText(
      'Outputs identical'
    );
  });
});

test.describe('compare two states', () => {
  test('from the Timeline: the changed cells, each opening its comparison', async ({
    page
  }) => {
    test.setTimeout(180_000);
    const notebook = await start(page);
    const html =
      "HTML(f'<b class=\"cmp-html\">x is {x}</b><script>window.__compareScript = (window.__compareScript || 0) + 1</script>')";
    await runCell(page, 0, 'x = 1');
    await waitForExecutions(page, notebook, 1);
    await page.notebook.runCell(await appendCell(page, 'code', 'print(x * 10)'), true);
    await waitForExecutions(page, notebook, 2);
    await page.notebook.runCell(
      await appendCell(page, 'code', `from IPython.display import HTML\n${html}`),
      true
    );
    let tree = await waitForExecutions(page, notebook, 3);
    const before = lastRun(tree, 'from IPython.display import HTML');
    await runCell(page, 0, 'x = 2');
    await waitForExecutions(page, notebook, 4);
    await page.notebook.runCell(1, true);
    await waitForExecutions(page, notebook, 5);
    await page.notebook.runCell(2, true);
    tree = await waitForExecutions(page, notebook, 6);
    const after = lastRun(tree, 'from IPython.display import HTML');
    expect(after.id).not.toBe(before.id);
    const cellOf = (preview: string) => lastRun(tree, preview).cell_id!;
    const [xCell, printCell, htmlCell] = [
      cellOf('x = 2'),
      cellOf('print(x * 10)'),
      cellOf('from IPython.display import HTML')
    ];
    // whatever the live runs did in the notebook, history must add nothing
    const scripts = await page.evaluate(() => (window as any).__compareScript ?? 0);

    const panel = await openPanel(page, 'timeline');
    const row = panel.locator(`.jp-BranchRow[data-state-id="${before.id}"]`);
    await expect(row).toBeVisible(RECORDED);
    await row.click();
    await panel
      .locator('.jp-BranchPanel-action[data-command="jupyter-branch:compare-states"]')
      .click();
    const dialog = page.locator('.jp-Dialog');
    await expect(dialog).toBeVisible();
    const choice = dialog.locator('option', { hasText: after.id.slice(0, 12) });
    await dialog.locator('select').selectOption({ label: (await choice.textContent())! });
    await dialog.locator('.jp-mod-accept').click();

    const states = page.locator('.jp-BranchCompareStates');
    await expect(states).toBeVisible(RECORDED);
    await expect(
      states.locator('.jp-BranchCompare-side[data-side="a"]')
    ).toHaveAttribute('data-state-id', before.id);
    const entries = (kind: string) =>
      states.locator(
        `.jp-BranchCompareStates-list[data-kind="${kind}"] .jp-BranchCompareStates-entry`
      );
    await expect(entries('code')).toHaveCount(1);
    await expect(entries('code')).toHaveAttribute('data-cell-id', xCell);
    await expect(entries('outputs')).toHaveCount(2);
    expect(
      await entries('outputs').evaluateAll(nodes =>
        nodes.map(n => (n as HTMLElement).dataset.cellId)
      )
    ).toEqual([printCell, htmlCell]);
    await saveDocScreenshot(page, 'compare-states');

    // the printing cell: same code, its text output changed
    await entries('outputs').nth(0).click();
    let view = page.locator('.jp-BranchCompare:not(.jp-BranchCompareStates)', {
      has: page.locator(`.jp-BranchCompare-side[data-side="b"][data-state-id="${after.id}"]`)
    });
    await expect(view).toHaveAttribute('data-cell-id', printCell, RECORDED);
    await expect(view.locator('.jp-BranchCompare-code')).toContainText('Code identical.');
    await expect(view.locator('.jp-BranchCompare-outputs .jp-mod-removed')).toHaveText('-10');
    await expect(view.locator('.jp-BranchCompare-outputs .jp-mod-added')).toHaveText('+20');
    // A did not run this cell: its outputs come from an earlier run
    await expect(view.locator('.jp-BranchCompare-side[data-side="a"]')).toContainText(
      'Not run in this state'
    );

    // the HTML cell: rendered side by side, untrusted
    await page.evaluate(
      id => (window as any).jupyterapp.shell.activateById(id),
      `jupyter-branch-compare-states-${before.id}-${after.id}`
    );
    await entries('outputs').nth(1).click();
    view = page.locator('.jp-BranchCompare[data-cell-id="' + htmlCell + '"]');
    await expect(view).toBeVisible(RECORDED);
    const rendered = view.locator('.jp-BranchCompare-rendered');
    await expect(
      rendered.locator('.jp-BranchCompare-column[data-side="a"] b.cmp-html')
    ).toHaveText('x is 1', RECORDED);
    await expect(
      rendered.locator('.jp-BranchCompare-column[data-side="b"] b.cmp-html')
    ).toHaveText('x is 2');
    await page.evaluate(
      () => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))
    );
    expect(await page.evaluate(() => (window as any).__compareScript ?? 0)).toBe(scripts);
    expect(await view.locator('script').count()).toBe(0);
  });
});
