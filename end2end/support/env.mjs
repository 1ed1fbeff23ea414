// Everything the browser tests and the processes they start agree on.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const LATCH_PORT = Number(process.env.E2E_LATCH_PORT || 3410);
export const STANDIN_PORT = Number(process.env.E2E_STANDIN_PORT || 4510);
export const LATCH_URL = `http://127.0.0.1:${LATCH_PORT}`;
export const STANDIN_URL = `http://127.0.0.1:${STANDIN_PORT}`;
export const TARGET_DIR = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
export const LATCH_BIN = path.join(TARGET_DIR, 'debug', 'latch');
export const STANDIN_BIN = path.join(TARGET_DIR, 'debug', 'slack-standin');
// cargo-leptos writes the site under the workspace's `site-root` (target/site), whatever
// CARGO_TARGET_DIR says; only the binaries follow CARGO_TARGET_DIR.
export const SITE_ROOT = process.env.E2E_SITE_ROOT || path.join(ROOT, 'target', 'site');
export const DATA_DIR = path.join(here, '..', '.latch-e2e');

export const SLACK = {
  clientId: '1111.2222',
  clientSecret: 'e2e-client-secret',
  signingSecret: 'e2e-signing-secret',
};

// Accounts created before every run. The password is read by `latch create-*` from stdin.
export const ADMIN = { email: 'admin@acme.test', name: 'Avery Admin', password: 'e2e admin password' };
export const USER = { email: 'pat@acme.test', name: 'Pat Person', password: 'e2e person password' };
