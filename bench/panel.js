/**
 * 4. Panel: time until a long history is first shown, in JupyterLab in Chromium.
 *
 * Usage: node panel.js URL TOKEN NOTEBOOK REPEAT OUT_DIR
 *
 * Each repeat launches Debian's Chromium (headless, fresh profile), opens
 * JupyterLab with a reset workspace, opens the "Notebook history" panel (no
 * notebook yet), then opens NOTEBOOK from the file browser. Page-side, the
 * time runs from the double click's first pointerdown to the first animation
 * frame after the first state row is in the panel; the same for the
 * notebook's first cell, for comparison. Prints one JSON object.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [url, token, notebook, repeatArg, outDir] = process.argv.slice(2);
const repeat = Number(repeatArg || 3);
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run'
];
const TAB = '.lm-TabBar-tab[data-id="jupyter-branch-history"]';
const ROW = '#jupyter-branch-history .jp-BranchStateRow';
const CELL = '.jp-NotebookPanel .jp-Cell';

async function once(index) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jb-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 900 }
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    const trees = [];
    page.on('response', async response => {
      if (response.url().includes('/jupyter-branch/api/tree')) {
        const timing = response.request().timing();
        let bytes = 0;
        try {
          bytes = (await response.body()).length;
        } catch {
          bytes = -1;
        }
        trees.push({ status: response.status(), ms: timing.responseEnd, bytes });
      }
    });
    const navStart = Date.now();
    await page.goto(`${url}/lab?reset&token=${token}`);
    const item = page.locator(`.jp-DirListing-item[title^="Name: ${notebook}"]`);
    await item.waitFor({ timeout: 120000 });
    const labReady = Date.now() - navStart;
    await page.click(TAB); // the panel is open, with no notebook to show yet
    await page.waitForTimeout(1000);
    await page.evaluate(
      ([row, cell]) => {
        const w = window;
        w.__jbOpen = null;
        w.__jbShown = null;
        w.__jbCells = null;
        document.addEventListener(
          'pointerdown',
          () => {
            if (w.__jbOpen === null) {
              w.__jbOpen = performance.now();
            }
          },
          true
        );
        const observer = new MutationObserver(() => {
          if (w.__jbCells === null && document.querySelector(cell)) {
            w.__jbCells = -1;
            requestAnimationFrame(() => (w.__jbCells = performance.now()));
          }
          if (w.__jbShown === null && document.querySelector(row)) {
            w.__jbShown = -1;
            requestAnimationFrame(() => (w.__jbShown = performance.now()));
          }
          if (w.__jbShown !== null && w.__jbCells !== null) {
            observer.disconnect();
          }
        });
        observer.observe(document.body, { childList: true, subtree: true });
      },
      [ROW, CELL]
    );
    await item.dblclick();
    await page.waitForFunction(
      () => window.__jbShown > 0 && window.__jbCells > 0,
      null,
      { timeout: 120000, polling: 'raf' }
    );
    const [shownMs, cellsMs] = await page.evaluate(() => [
      window.__jbShown - window.__jbOpen,
      window.__jbCells - window.__jbOpen
    ]);
    const rows = await page.locator(ROW).count();
    if (outDir && index === 0) {
      await page.screenshot({ path: path.join(outDir, 'panel.png') });
    }
    return {
      shown_ms: shownMs,
      cells_ms: cellsMs,
      lab_ready_ms: labReady,
      rows,
      trees
    };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

(async () => {
  const runs = [];
  for (let i = 0; i < repeat; i++) {
    runs.push(await once(i));
  }
  process.stdout.write(JSON.stringify({ runs }) + '\n');
})().catch(error => {
  console.error(error);
  process.exit(1);
});
