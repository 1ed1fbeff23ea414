// Browser tests run against the debug build made by `cargo leptos build --split`, in Debian's Chromium
// (never a downloaded browser). `support/start-latch.mjs` gives each run a fresh data directory,
// accounts, and a Slack stand-in wired to Latch.
import { defineConfig } from '@playwright/test';
import { LATCH_PORT, STANDIN_PORT } from './support/env.mjs';

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${LATCH_PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
  webServer: [
    {
      command: 'node support/start-standin.mjs',
      url: `http://127.0.0.1:${STANDIN_PORT}/_standin`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: 'node support/start-latch.mjs',
      url: `http://127.0.0.1:${LATCH_PORT}/healthz`,
      reuseExistingServer: false,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
