// Starts `latch serve` on a fresh data directory (SQLite) with two accounts and Slack settings
// pointing at the stand-in. Playwright stops it after the run.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ADMIN, DATA_DIR, LATCH_BIN, LATCH_PORT, LATCH_URL, SITE_ROOT, SLACK, STANDIN_URL, USER } from './env.mjs';

const dataDir = path.join(DATA_DIR, String(Date.now()));
fs.mkdirSync(dataDir, { recursive: true });

const env = {
  ...process.env,
  LATCH_DATA_DIR: dataDir,
  LATCH_LISTEN_ADDR: `127.0.0.1:${LATCH_PORT}`,
  LATCH_PUBLIC_URL: LATCH_URL,
  LATCH_SITE_ROOT: SITE_ROOT,
  LATCH_LOG: process.env.LATCH_LOG || 'info',
  LATCH_SLACK_CLIENT_ID: SLACK.clientId,
  LATCH_SLACK_CLIENT_SECRET: SLACK.clientSecret,
  LATCH_SLACK_SIGNING_SECRET: SLACK.signingSecret,
  LATCH_SLACK_API_URL: `${STANDIN_URL}/api`,
  LATCH_SLACK_AUTHORIZE_URL: `${STANDIN_URL}/oauth/v2/authorize`,
};
delete env.LATCH_DATABASE_URL;

for (const [command, account] of [['create-admin', ADMIN], ['create-user', USER]]) {
  const result = spawnSync(LATCH_BIN, [command, '--email', account.email, '--name', account.name], {
    env,
    input: `${account.password}\n`,
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    console.error(`latch ${command} failed:`, result.stderr || result.error);
    process.exit(1);
  }
}

const child = spawn(LATCH_BIN, ['serve'], { env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
