/**
 * The README's first command, run as written: the first line of its quick
 * start (`make lab`) must start JupyterLab with jupyter-branch on
 * examples/demo.ipynb. The test reads the command from README.md, so a README
 * that changes without it breaks here; it runs the command from the repository
 * root on a free port (`PORT=`, which the Makefile reads), opens in Chromium the
 * URL the server hands to the user's browser, checks that the demo notebook is
 * open and jupyter-branch is active, stops the server with SIGTERM and checks
 * that everything it started is gone and examples/ is untouched.
 *
 * Not Galata's page fixture: that one belongs to the suite's own server.
 */
import { ChildProcess, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { APIRequestContext, expect, test } from '@playwright/test';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLES = path.join(REPO, 'examples');
/** The command's output, rewritten on each run (ignored by git, as *.log). */
const LOG = path.resolve(__dirname, '..', 'quickstart-server.log');
/** How long the server may take to answer; setup is done before the suite. */
const STARTED = 120_000;
/** How long it may take to stop after SIGTERM (kernels included). */
const STOPPED = 60_000;

/** The first command of the README's "Quick start" block, comment removed. */
function quickStartCommand(): string {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf-8');
  const section = readme.split(/^## Quick start\s*$/m)[1];
  expect(section, 'README.md has a "## Quick start" section').toBeTruthy();
  const block = /^```[a-z]*\n([\s\S]*?)^```/m.exec(section);
  expect(block, 'the quick start has a code block').toBeTruthy();
  const first = block![1]
    .split('\n')
    .map(line => line.replace(/(^|\s)#.*$/, '').trim())
    .find(line => line !== '');
  expect(first, 'the quick start block has a command').toBeTruthy();
  return first!;
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Every file under `dir` (dotfiles and folders included) with its sha256. */
function snapshot(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  const walk = (sub: string) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), {
      withFileTypes: true
    })) {
      const rel = path.join(sub, entry.name);
      if (entry.isDirectory()) {
        found[rel + '/'] = 'dir';
        walk(rel);
      } else {
        const data = fs.readFileSync(path.join(dir, rel));
        found[rel] = crypto.createHash('sha256').update(data).digest('hex');
      }
    }
  };
  walk('');
  return found;
}

/** Pids of live processes whose command line mentions `text` (Linux /proc). */
function processesMentioning(text: string): number[] {
  if (!fs.existsSync('/proc')) {
    return [];
  }
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) {
      continue;
    }
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf-8');
      if (cmdline.includes(text)) {
        pids.push(Number(name));
      }
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Whether any process is left in process group `pgid`. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves with the exit of `child`, or with null after `ms`. */
function exited(
  child: ChildProcess,
  ms: number
): Promise<{ code: number | null; signal: string | null } | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise(resolve => {
    const timer = setTimeout(() => resolve(null), ms);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** GET on the quick start's server; null while nothing answers. */
async function get(
  request: APIRequestContext,
  url: string,
  token: string
): Promise<{ status: number; body: string } | null> {
  try {
    const response = await request.get(url, {
      headers: { Authorization: `token ${token}` },
      failOnStatusCode: false,
      timeout: 10_000
    });
    return { status: response.status(), body: await response.text() };
  } catch {
    return null;
  }
}

test.describe('quick start', () => {
  let base = '';
  let child: ChildProcess | null = null;

  test.afterAll(() => {
    // Only if the test failed half-way: whatever it started must not outlive it.
    if (child?.pid && groupAlive(child.pid)) {
      process.kill(-child.pid, 'SIGKILL');
    }
    if (base) {
      for (const pid of processesMentioning(base)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  test("the README's first command opens the demo notebook with jupyter-branch", async ({
    browser,
    request
  }) => {
    test.setTimeout(STARTED + STOPPED + 120_000);
    const command = quickStartCommand();
    const before = snapshot(EXAMPLES);
    const demo = JSON.parse(
      fs.readFileSync(path.join(EXAMPLES, 'demo.ipynb'), 'utf-8')
    );

    // A fresh user: every place Jupyter, JupyterLab (settings, workspaces),
    // IPython and the history store write to is in a temporary folder, and the
    // user's own config is not read. The server's "browser" only writes down
    // the URL it is given.
    base = fs.realpathSync(
      fs.mkdtempSync(path.join(os.tmpdir(), 'jupyter-branch-quickstart-'))
    );
    const dirs = {
      JUPYTER_CONFIG_DIR: path.join(base, 'config'),
      JUPYTER_DATA_DIR: path.join(base, 'data'),
      JUPYTER_RUNTIME_DIR: path.join(base, 'runtime'),
      IPYTHONDIR: path.join(base, 'ipython')
    };
    for (const dir of Object.values(dirs)) {
      fs.mkdirSync(dir);
    }
    // JupyterLab makes a checkpoint of a notebook when it opens it, in
    // .ipynb_checkpoints beside it: that one goes to the temporary folder too,
    // so that the test leaves examples/ exactly as it found it.
    fs.writeFileSync(
      path.join(dirs.JUPYTER_CONFIG_DIR, 'jupyter_server_config.json'),
      JSON.stringify({
        FileCheckpoints: { root_dir: path.join(base, 'checkpoints') }
      })
    );
    const opened = path.join(base, 'opened-url');
    const recorder = path.join(base, 'record-url');
    fs.writeFileSync(
      recorder,
      `#!/bin/sh\nprintf '%s\\n' "$1" > '${opened}.part' && mv '${opened}.part' '${opened}'\n`,
      { mode: 0o755 }
    );
    const port = await freePort();
    const token = crypto.randomBytes(24).toString('hex');
    const url = `http://127.0.0.1:${port}`;
    const env: Record<string, string | undefined> = {
      ...process.env,
      ...dirs,
      PORT: String(port),
      JUPYTER_TOKEN: token,
      BROWSER: recorder
    };
    // Inside `make test` these carry the outer make's settings (a PORT= given
    // to it would override ours): the command must run as from a shell.
    for (const name of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'MAKEOVERRIDES']) {
      delete env[name];
    }

    const log = fs.createWriteStream(LOG);
    let output = '';
    const tail = () => output.split('\n').slice(-30).join('\n');
    const server = spawn('bash', ['-c', command], {
      cwd: REPO,
      env,
      detached: true, // a process group of its own, stopped as a whole
      stdio: ['ignore', 'pipe', 'pipe']
    });
    child = server;
    const pgid = server.pid!;
    for (const stream of [server.stdout, server.stderr]) {
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        log.write(chunk);
      });
    }

    await test.step('wait until the server answers', async () => {
      await expect
        .poll(
          async () => {
            if (server.exitCode !== null || server.signalCode !== null) {
              throw new Error(
                `\`${command}\` exited (${server.exitCode ?? server.signalCode}) ` +
                  `before its server answered:\n${tail()}`
              );
            }
            return (await get(request, `${url}/api/status`, token))?.status;
          },
          { timeout: STARTED, message: `${url}/api/status answers 200` }
        )
        .toBe(200);
    });

    const context = await browser.newContext({
      viewport: { width: 1366, height: 820 }
    });
    try {
      const page = await context.newPage();
      await test.step("open the URL the server gives the user's browser", async () => {
        await expect
          .poll(() => fs.existsSync(opened), {
            timeout: 30_000,
            message: `the server opens a browser (BROWSER); its log:\n${tail()}`
          })
          .toBe(true);
        const target = fs.readFileSync(opened, 'utf-8').trim();
        await page.goto(target);
        await expect(page).toHaveURL(
          new RegExp(`^${url}/lab/tree/demo\\.ipynb(\\?|$)`),
          { timeout: 30_000 }
        );
      });

      await test.step('demo.ipynb is open', async () => {
        const currentTab = page.locator(
          '#jp-main-dock-panel .lm-TabBar-tab.jp-mod-current .lm-TabBar-tabLabel'
        );
        await expect(currentTab).toHaveText('demo.ipynb', { timeout: 60_000 });
        const notebook = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
        await expect(notebook.locator('.jp-Cell')).toHaveCount(
          demo.cells.length,
          { timeout: 30_000 }
        );
        await expect(notebook.locator('.jp-MarkdownOutput h1')).toContainText(
          'jupyter-branch demo'
        );
        // and its kernel runs (so the stop below has a kernel to shut down)
        await expect
          .poll(
            async () => {
              const kernels = await get(request, `${url}/api/kernels`, token);
              return kernels?.status === 200
                ? JSON.parse(kernels.body).map((k: any) => k.execution_state)
                : [];
            },
            { timeout: 60_000 }
          )
          .toContain('idle');
      });

      await test.step('jupyter-branch is active', async () => {
        const info = await get(
          request,
          `${url}/jupyter-branch/api/info`,
          token
        );
        expect(info?.status, info?.body).toBe(200);
        const body = JSON.parse(info!.body);
        expect(body.ok, info!.body).toBe(true);
        // the store is the temporary data dir's, not the user's
        expect(body.store.path).toContain(dirs.JUPYTER_DATA_DIR);
        // the branch icon in the right sidebar opens the history panel
        const icon = page.locator(
          '.jp-SideBar .lm-TabBar-tab[data-id="jupyter-branch-history"]'
        );
        await expect(icon).toBeVisible({ timeout: 30_000 });
        await icon.click();
        const panel = page.locator('#jupyter-branch-history');
        await expect(panel.getByText('Notebook history')).toBeVisible();
      });
    } finally {
      await context.close();
    }

    await test.step('SIGTERM stops the server and all it started', async () => {
      process.kill(-pgid, 'SIGTERM');
      const end = await exited(server, STOPPED);
      expect(
        end,
        `\`${command}\` still runs after SIGTERM:\n${tail()}`
      ).not.toBeNull();
      // make passes SIGTERM on to jupyter, waits for it, then dies of it
      expect(
        end!.signal === 'SIGTERM' || end!.code === 0,
        `exit ${JSON.stringify(end)}:\n${tail()}`
      ).toBe(true);
      await expect
        .poll(() => groupAlive(pgid), { timeout: 10_000 })
        .toBe(false);
      // kernels run in sessions of their own: find them by their connection
      // files, which are in our runtime dir
      await expect
        .poll(() => processesMentioning(base), { timeout: 10_000 })
        .toEqual([]);
      // a clean exit removes the server's and the kernels' runtime files
      const runtime = fs
        .readdirSync(dirs.JUPYTER_RUNTIME_DIR)
        .filter(name => /^(jpserver|kernel)-/.test(name));
      expect(runtime).toEqual([]);
    });

    await test.step('examples/ is as it was', async () => {
      expect(snapshot(EXAMPLES)).toEqual(before);
    });
    await new Promise(resolve => log.end(resolve));
  });
});
