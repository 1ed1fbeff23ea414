import { test, expect } from '@playwright/test';
import { ADMIN } from '../support/env.mjs';
import { signIn, waitForHydration } from '../support/session.mjs';

test('an admin sets how long requests may wait for approval, and a bad value is refused', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.goto('/admin/settings');
  await waitForHydration(page);
  const section = page.locator('#pending-expiry');
  const field = section.getByLabel(/Expire undecided requests after/);
  const summary = section.getByTestId('pending-expiry-summary');

  // A value out of range is refused with the reason, and what was typed stays in the field.
  await field.fill('400');
  await section.getByRole('button', { name: 'Save' }).click();
  await expect(section.getByRole('alert')).toContainText('365');
  await expect(field).toHaveValue('400');

  await field.fill('7');
  await section.getByRole('button', { name: 'Save' }).click();
  await expect(summary).toContainText('longer than 7 days');
  await page.reload();
  await expect(page.locator('#pending-expiry').getByTestId('pending-expiry-summary')).toContainText('longer than 7 days');

  // Empty means never; put the default back for the other specs.
  await waitForHydration(page);
  await page.locator('#pending-expiry').getByLabel(/Expire undecided requests after/).fill('');
  await page.locator('#pending-expiry').getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#pending-expiry').getByTestId('pending-expiry-summary')).toContainText('until someone decides');
  await page.locator('#pending-expiry').getByLabel(/Expire undecided requests after/).fill('14');
  await page.locator('#pending-expiry').getByRole('button', { name: 'Save' }).click();
  await expect(page.locator('#pending-expiry').getByTestId('pending-expiry-summary')).toContainText('longer than 14 days');
});
