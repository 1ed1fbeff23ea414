// Shared steps for specs.
import { expect } from '@playwright/test';

/** Signs in through the login form and waits until the console has hydrated. */
export async function signIn(page, account, next = '/') {
  await page.goto(next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(account.email);
  await page.getByLabel('Password').fill(account.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHydration(page);
}

/** The layout sets data-hydrated="true" from an effect, which only runs in the browser. */
export async function waitForHydration(page) {
  await expect(page.locator('.app')).toHaveAttribute('data-hydrated', 'true');
}
