/**
 * Playwright configuration for the jupyter-branch UI tests: Galata's base
 * configuration, Debian's Chromium, and a JupyterLab server of our own started
 * from the repository's venv with a fresh root dir and history store.
 */
import * as fs from 'fs';
import * as path from 'path';
import { defineConfig } from '@playwright/test';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.JUPYTER_BRANCH_UI_PORT ?? '8899';
const baseURL = `http://127.0.0.1:${port}`;
const venvJupyter = path.resolve(__dirname, '..', '.venv', 'bin', 'jupyter');
const jupyter = fs.existsSync(venvJupyter) ? venvJupyter : 'jupyter';
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  ...baseConfig,
  testDir: './tests',
  // One server, two cores: tests run one at a time so timing stays realistic.
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [
    [process.env.GITHUB_ACTIONS ? 'github' : 'list'],
    ['html', { open: 'never' }]
  ],
  use: {
    ...baseConfig.use,
    baseURL,
    // the server's own user (GET /api/me), not Galata's made-up one: the panel
    // names the users who made states unless it is the user themself
    mockUser: false,
    // wide enough that the panel, the notebook and a notification all fit in
    // the documentation screenshots
    viewport: { width: 1366, height: 820 },
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: chromium,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync'
      ]
    }
  },
  webServer: {
    command: `"${jupyter}" lab --config jupyter_server_test_config.py`,
    cwd: __dirname,
    url: `${baseURL}/lab`,
    env: { ...process.env, JUPYTER_BRANCH_UI_PORT: port } as Record<
      string,
      string
    >,
    timeout: 120 * 1000,
    // A server left over from elsewhere would carry an old history store: only
    // reuse one when asked to (`jlpm start` in another terminal).
    reuseExistingServer: !process.env.CI && !!process.env.UI_TESTS_REUSE_SERVER,
    // SIGTERM lets Jupyter stop its kernels and remove its temporary folder.
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10 * 1000 },
    stdout: 'ignore',
    stderr: 'pipe'
  }
});
