// The Slack stand-in's test routes (`/_standin/…`), shared by the Slack specs.
import { expect } from '@playwright/test';
import { STANDIN_URL } from './env.mjs';

/** Calls one of the stand-in's `/_standin` routes (POST with `body`, else GET): its `result`. */
export async function standin(request, path, body) {
  const response = body === undefined
    ? await request.get(`${STANDIN_URL}${path}`)
    : await request.post(`${STANDIN_URL}${path}`, { data: body });
  const answer = await response.json();
  expect(answer.ok, `${path}: ${JSON.stringify(answer)}`).toBe(true);
  return answer.result;
}

/** The Slack user of `account` in workspace `teamId`, created when missing. */
export async function slackUser(request, teamId, account, handle) {
  const existing = (await standin(request, `/_standin/users?team=${teamId}`))
    .find((u) => u.email === account.email);
  return existing || standin(request, '/_standin/users', {
    team_id: teamId, name: handle, real_name: account.name, email: account.email,
  });
}

/**
 * On the stand-in's consent page, installs into Acme posting to #it-access, as its admin would:
 * the workspace is picked explicitly, since specs that run earlier (sharing this stand-in) may
 * have added workspaces that sort before it.
 */
export async function allowInAcme(page) {
  await page.getByLabel('Workspace', { exact: true }).selectOption({ label: 'Acme (acme.slack.com)' });
  await page.getByLabel(/Where should .* post\?/).selectOption({ label: '#it-access (Acme)' });
  await page.getByRole('button', { name: 'Allow' }).click();
}
