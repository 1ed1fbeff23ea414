import { test, expect } from '@playwright/test';
import { ADMIN, USER } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

const NAME = 'Two-step review';

/** Clicks the editor's submit button and waits for the save server function's answer. */
async function submit(page, label) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/api/policies/save')),
    page.locator('#policy-editor').getByRole('button', { name: label }).click(),
  ]);
  return response;
}

// An admin builds a policy in the structured editor (no JSON), reads it back as a summary,
// reorders and removes steps, and sees a step-numbered error without losing what they typed.
test('an admin builds, edits and fixes a request policy in the structured editor', async ({ page }) => {
  await signIn(page, ADMIN, '/admin/policies');
  const editor = page.locator('#policy-editor');
  await expect(editor.getByRole('heading', { name: 'New policy' })).toBeVisible();

  // Step 1: the manager (ticked by default), who must give a reason to deny.
  await editor.getByLabel('Name', { exact: true }).fill(NAME);
  const first = editor.locator('[data-step="1"]');
  await expect(first.getByLabel('Manager')).toBeChecked();
  await first.getByLabel('Require a reason to deny').check();
  // Step 2: the app owners, distinct from step 1's approver, with a fallback user.
  await editor.getByRole('button', { name: 'Add step' }).click();
  const second = editor.locator('[data-step="2"]');
  await second.getByLabel('App owners').check();
  await second.getByLabel('Require distinct approvers').check();
  await second.getByLabel('Fallback users (emails)').fill(USER.email);
  await expect(second).toContainText('the step goes to the Super Admins');
  const created = await submit(page, 'Create policy');
  expect(created.ok()).toBeTruthy();
  await expect(page).toHaveURL(/\?edit=/);

  // After a reload the list reads the policy back in words.
  await page.reload();
  await waitForHydration(page);
  const item = page.locator(`[data-policy="${NAME}"]`);
  await expect(item.locator('.policy-summary')).toHaveText(
    `1. Approval by manager (reason required to deny) → 2. Approval by app owners (distinct approvers); fallback: ${USER.email}`,
  );
  await expect(item).toContainText('revision 1');
  await expect(item).toContainText('Not used by any app or entitlement');
  await expect(item.getByRole('button', { name: 'Delete' })).toBeVisible();

  // Edit: move the app-owner step first, then remove the manager step.
  await expect(editor.getByRole('heading', { name: `Edit “${NAME}”` })).toBeVisible();
  await expect(editor.locator('[data-step="2"]').getByLabel('Fallback users (emails)')).toHaveValue(USER.email);
  await editor.locator('[data-step="2"]').getByRole('button', { name: 'Move up' }).click();
  await expect(editor.locator('[data-step="1"]').getByLabel('App owners')).toBeChecked();
  await expect(editor.locator('[data-step="1"]').getByRole('button', { name: 'Move up' })).toBeDisabled();
  await editor.locator('[data-step="2"]').getByRole('button', { name: 'Remove step' }).click();
  await expect(editor.locator('[data-step]')).toHaveCount(1);
  expect((await submit(page, 'Save policy')).ok()).toBeTruthy();
  await expect(editor.getByRole('status')).toContainText('Saved');
  await page.reload();
  await waitForHydration(page);
  await expect(item.locator('.policy-summary')).toHaveText(
    `1. Approval by app owners (distinct approvers); fallback: ${USER.email}`,
  );
  await expect(item).toContainText('revision 2');

  // An unknown email is refused with the step and field named; nothing typed is lost.
  const only = editor.locator('[data-step="1"]');
  await editor.getByLabel('Name', { exact: true }).fill(`${NAME} (owners)`);
  await only.getByLabel('Named users (emails)').fill('nobody@acme.test');
  await only.getByLabel('Require a reason to approve').check();
  const refused = await submit(page, 'Save policy');
  expect(refused.status()).toBe(422);
  await expect(editor.getByRole('alert')).toContainText('Nothing was saved');
  await expect(editor.getByRole('alert')).toContainText('Step 1, named users: unknown user "nobody@acme.test"');
  await expect(only).toHaveClass(/has-problems/);
  await expect(only.locator('.step-problems')).toContainText('unknown user "nobody@acme.test"');
  await expect(editor.getByLabel('Name', { exact: true })).toHaveValue(`${NAME} (owners)`);
  await expect(only.getByLabel('Named users (emails)')).toHaveValue('nobody@acme.test');
  await expect(only.getByLabel('App owners')).toBeChecked();
  await expect(only.getByLabel('Require a reason to approve')).toBeChecked();
  await expect(only.getByLabel('Require distinct approvers')).toBeChecked();
  await expect(only.getByLabel('Fallback users (emails)')).toHaveValue(USER.email);

  // Fixing the email saves everything else that was typed.
  await only.getByLabel('Named users (emails)').fill(ADMIN.email);
  expect((await submit(page, 'Save policy')).ok()).toBeTruthy();
  await page.reload();
  await waitForHydration(page);
  const renamed = page.locator(`[data-policy="${NAME} (owners)"]`);
  await expect(renamed.locator('.policy-summary')).toHaveText(
    `1. Approval by app owners or ${ADMIN.email} (reason required to approve, distinct approvers); fallback: ${USER.email}`,
  );
  await expect(renamed).toContainText('revision 3');

  // Built-in policies are listed read-only, with their summary.
  const builtin = page.locator('[data-policy="Auto approval"]');
  await expect(builtin.locator('.policy-summary')).toHaveText('1. Auto-approve');
  await expect(builtin).toContainText('built in, read-only');
  await expect(builtin.getByRole('link', { name: 'Edit' })).toHaveCount(0);
});

// Without JavaScript the editor cannot build the policy; a save attempt must say so, never
// report success or silently store something else.
test('without JavaScript a policy save says plainly that nothing was saved', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login?next=%2Fadmin%2Fpolicies');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/admin\/policies$/);
  const editor = page.locator('#policy-editor');
  // (Playwright's text matchers skip <noscript>, so read its markup.)
  expect(await editor.locator('noscript').innerHTML()).toContain('The policy editor needs JavaScript');
  await editor.getByLabel('Name', { exact: true }).fill('Typed without scripts');
  await editor.getByRole('button', { name: 'Create policy' }).click();
  await expect(editor.getByRole('alert')).toContainText('Nothing was saved: the policy editor needs JavaScript');
  await expect(page.locator('[data-policy="Typed without scripts"]')).toHaveCount(0);
  await context.close();
});
