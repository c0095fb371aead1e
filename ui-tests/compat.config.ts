/**
 * Playwright configuration of the compatibility suite (ui-tests/compat/): one
 * spec per setup, run by scripts/compat.py (`make test-compat`) against a
 * server it started from that setup's venv. The runner passes the server in
 * COMPAT_BASE_URL and COMPAT_TOKEN; the browser is Debian's Chromium with the
 * flags of the UI tests (playwright.config.ts).
 */
import * as path from 'path';
import { defineConfig } from '@playwright/test';

import uiConfig from './playwright.config';

const baseURL = process.env.COMPAT_BASE_URL;
if (!baseURL || !process.env.COMPAT_TOKEN) {
  throw new Error(
    'The compatibility specs run through scripts/compat.py (make test-compat), which starts their server.'
  );
}
const results =
  process.env.COMPAT_RESULTS ?? path.join(__dirname, 'compat-results');

export default defineConfig({
  testDir: './compat',
  testMatch: '*.spec.ts',
  // one server, two cores: one test at a time, and the server log test last
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 180 * 1000,
  expect: { timeout: 20 * 1000 },
  outputDir: path.join(results, 'test-results'),
  reporter: [
    ['list'],
    ['html', { open: 'never', outputFolder: path.join(results, 'report') }]
  ],
  use: {
    baseURL,
    viewport: { width: 1366, height: 820 },
    video: 'off',
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: uiConfig.use?.launchOptions
  }
});
