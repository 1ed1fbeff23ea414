// Runs the Slack stand-in with the client id/secret and signing secret Latch is given.
import { spawn } from 'node:child_process';
import { LATCH_URL, SLACK, STANDIN_BIN, STANDIN_PORT } from './env.mjs';

const child = spawn(
  STANDIN_BIN,
  [
    '--port', String(STANDIN_PORT),
    '--client-id', SLACK.clientId,
    '--client-secret', SLACK.clientSecret,
    '--signing-secret', SLACK.signingSecret,
    '--redirect-url', `${LATCH_URL}/slack/oauth/callback`,
    '--events-url', `${LATCH_URL}/slack/events`,
  ],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
