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
