import { test, expect } from '@playwright/test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { LATCH_BIN, ROOT, SITE_ROOT } from '../support/env.mjs';
import { waitForHydration } from '../support/session.mjs';

// `latch demo` from the build CI makes (issue 13 §3): the binary starts Latch and the Slack
// stand-in on ports of its own, seeds a small company and connects Slack, and prints where to go
// and who to be. This spec reads only what it prints, then uses the console and the simulator as
// a person would, and stops it with Ctrl-C. It touches neither the suite's Latch nor its
// stand-in. It also takes the README's two screenshots: always into the test's output directory,
// and into docs/screenshots/ when LATCH_UPDATE_SCREENSHOTS=1.

const VIEWPORT = { width: 1280, height: 800 };
const STARTUP_MS = 60_000;
const STOP_MS = 30_000;

/** What `latch demo` printed, parsed: URLs, the shared password, the people, the data dir. */
function parseInstructions(text) {
  const field = (pattern, what) => {
    const found = text.match(pattern);
    if (!found) throw new Error(`latch demo printed no ${what}:\n${text}`);
    return found[1].trim();
  };
  const people = [];
  for (const line of text.split('\n')) {
    const found = line.match(/^\s+(\S+@\S+)\s+(.+?) \((.+)\)\s*$/);
    if (found) {
      const [, email, name, about] = found;
      people.push({ email, name, title: about.split(',')[0].trim(), superAdmin: /Super Admin/.test(about) });
    }
  }
  return {
    console: new URL(field(/^Console:\s+(\S+)/m, 'console URL')).origin,
    simulator: field(/^Simulator:\s+(\S+)/m, 'simulator URL'),
    password: field(/password for all:\s*([^)\n]+)\)/, 'password'),
    dataDir: field(/^Data:\s+(.+)$/m, 'data directory'),
    people,
  };
}

/**
 * Runs `latch demo ARGS` as someone would from a checkout's build, and resolves with what it
 * printed once it says it is running. Its stderr (the log) is kept for failure messages.
 */
async function startDemo(args = []) {
  const env = { ...process.env, LATCH_SITE_ROOT: SITE_ROOT };
  // Nothing from the suite's own Latch may leak into the demo's settings.
  for (const name of Object.keys(env)) {
    if (name.startsWith('LATCH_') && !['LATCH_SITE_ROOT', 'LATCH_LOG'].includes(name)) delete env[name];
  }
  const child = spawn(LATCH_BIN, ['demo', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const demo = { child, stdout: '', stderr: '', exited: null, temporary: !args.includes('--data-dir') };
  running.add(demo);
  child.stdout.setEncoding('utf8').on('data', (chunk) => { demo.stdout += chunk; });
  child.stderr.setEncoding('utf8').on('data', (chunk) => { demo.stderr += chunk; });
  demo.exit = new Promise((resolve) => child.on('exit', (code, signal) => {
    demo.exited = { code, signal };
    running.delete(demo);
    resolve(demo.exited);
  }));
  const failure = (why) => new Error(
    `latch demo ${why}\n--- stdout ---\n${demo.stdout}\n--- stderr (last 4000 characters) ---\n${demo.stderr.slice(-4000)}`,
  );
  const started = Date.now();
  // The instructions end with how to stop it; wait for the whole block.
  while (!/Latch demo is running[\s\S]*Ctrl-C/.test(demo.stdout)) {
    if (demo.exited) throw failure(`exited (${JSON.stringify(demo.exited)}) before it was running`);
    if (Date.now() - started > STARTUP_MS) {
      child.kill('SIGKILL');
      throw failure(`did not say "Latch demo is running" within ${STARTUP_MS / 1000} s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // One object throughout: its output and exit keep updating after this returns.
  return Object.assign(demo, parseInstructions(demo.stdout), { failure });
}

/** Ctrl-C: the demo stops Latch and the stand-in and exits 0. */
async function stopDemo(demo) {
  demo.child.kill('SIGINT');
  const timeout = new Promise((resolve) => setTimeout(() => resolve(null), STOP_MS));
  const exited = await Promise.race([demo.exit, timeout]);
  if (!exited) {
    demo.child.kill('SIGKILL');
    throw demo.failure(`did not stop within ${STOP_MS / 1000} s of Ctrl-C`);
  }
  expect(exited, `latch demo's exit after Ctrl-C; stderr:\n${demo.stderr.slice(-4000)}`)
    .toEqual({ code: 0, signal: null });
}

// A test that failed or timed out leaves its demo running: killed after each test (also after
// a timeout, when the test's own code no longer runs), with its temporary directory.
const running = new Set();
test.afterEach(async () => {
  for (const demo of [...running]) {
    demo.child.kill('SIGKILL');
    await demo.exit;
    const dataDir = demo.stdout.match(/^Data:\s+(.+)$/m)?.[1]?.trim();
    if (demo.temporary && dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Saves a README screenshot into the test's output, and into docs/screenshots/ on request. */
async function screenshot(page, name, testInfo) {
  const image = await page.screenshot();
  fs.writeFileSync(testInfo.outputPath(name), image);
  await testInfo.attach(name, { body: image, contentType: 'image/png' });
  if (process.env.LATCH_UPDATE_SCREENSHOTS === '1') {
    const dir = path.join(ROOT, 'docs', 'screenshots');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, name), image);
  }
}

/** The printed sign-in of `email`. */
function signInOf(demo, email) {
  const person = demo.people.find((p) => p.email === email);
  if (!person) throw new Error(`latch demo printed no sign-in for ${email}:\n${demo.stdout}`);
  return person;
}

/** Signs in to the demo's console through its login form. */
async function signIn(page, demo, person, next) {
  await page.goto(`${demo.console}/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(demo.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForHydration(page);
}

/** Opens the demo's simulator as `person`, in their DM with the app. */
async function simulatorAs(page, demo, person) {
  await page.goto(demo.simulator);
  await page.getByRole('link', { name: person.name, exact: true }).click();
  await page.locator('nav.sidebar a.nav', { hasText: /^Latch$/ }).click();
  await expect(page.locator('#title')).toHaveText('Latch');
}

/**
 * `/c1 request` in the DM, the app found by typing, the entitlement, the first length offered
 * (checked against `firstLength` when given), why, Submit. Returns the request's number (from
 * Slack's confirmation) and the requester's message about it, which Latch keeps up to date.
 */
async function requestInSlack(page, { app, entitlement, why, firstLength }) {
  await page.getByLabel('Message').fill('/c1 request');
  await page.getByLabel('Message').press('Enter');
  const modal = page.getByRole('dialog', { name: 'Submit a request' });
  await expect(modal).toBeVisible();
  await modal.getByLabel('What app do you need?').fill(app.slice(0, 4));
  await modal.getByRole('button', { name: app, exact: true }).click();
  await expect(modal.locator('.external-picked')).toHaveText(app);
  const entitlements = modal.getByLabel('What entitlement do you need?');
  const option = entitlements.locator('option', { hasText: entitlement });
  await expect(option).toHaveCount(1);
  await entitlements.selectOption(await option.getAttribute('value'));
  // The first choice: the shortest preset, or, for an entitlement shorter than every preset
  // (the warehouse's 5 minutes), its maximum, offered as "5 minutes (the most allowed)".
  const lengths = modal.getByLabel('Length of access?');
  await expect(lengths.locator('option', { hasText: 'Custom…' })).toHaveCount(1);
  const choices = lengths.locator('option:not([value=""])').filter({ hasNotText: 'Custom…' });
  if (firstLength) await expect(choices.first()).toHaveText(firstLength);
  await lengths.selectOption(await choices.first().getAttribute('value'));
  await modal.getByLabel('Why do you need this access?').fill(why);
  await modal.getByRole('button', { name: 'Submit' }).click();
  await expect(modal).toBeHidden();
  const confirmation = page.locator('#pane .message.ephemeral', { hasText: 'was submitted' }).last();
  await expect(confirmation).toBeVisible();
  const number = (await confirmation.getByRole('link').first().textContent()).trim();
  expect(number).toMatch(/^REQ-\d+$/);
  const message = page.locator('#pane .message:not(.ephemeral)', { hasText: 'You have created a new access request' })
    .filter({ hasText: entitlement });
  await expect(message).toBeVisible({ timeout: 20_000 });
  return { number, message };
}

/** The approver's copy of a request in their DM, found by its entitlement. */
function approvalFor(page, entitlement) {
  return page.locator('#pane .message', { hasText: 'Your approval is required' }).filter({ hasText: entitlement });
}

/** Approves from the DM (with a reason when given) and waits for the copy to show the outcome. */
async function approve(page, entitlement, reason) {
  const approval = approvalFor(page, entitlement);
  await expect(approval.getByRole('button', { name: 'Approve' })).toBeVisible({ timeout: 20_000 });
  if (reason) await approval.getByLabel('Approval reason').fill(reason);
  await approval.getByRole('button', { name: 'Approve' }).click();
  await expect(page.locator('#notice')).toBeHidden();
  await expect(approval).toContainText('Approved by', { timeout: 20_000 });
  await expect(approval.getByRole('button', { name: 'Approve' })).toHaveCount(0);
}

test('latch demo from the build: the console and the simulator answer, a request goes through manager, owner and provisioner, a webhook grants another, and Ctrl-C stops it and removes its data', async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const demo = await startDemo();
  expect(fs.existsSync(demo.dataDir), `the printed data directory ${demo.dataDir}`).toBe(true);
  const who = (email) => signInOf(demo, email);
  const admin = demo.people.find((p) => p.superAdmin);
  expect(admin, 'a Super Admin among the printed sign-ins').toBeTruthy();
  expect(demo.people.length).toBeGreaterThanOrEqual(6);

  // The console: the Super Admin signs in with the printed password; the catalog is seeded.
  const context = await browser.newContext({ viewport: VIEWPORT });
  const consolePage = await context.newPage();
  await signIn(consolePage, demo, admin, '/apps');
  for (const app of ['aws', 'github', 'data-warehouse']) {
    await expect(consolePage.locator(`[data-app="${app}"]`)).toBeVisible();
  }
  for (const entitlement of ['read-only', 'admin', 'maintainer', 'prod-read']) {
    await expect(consolePage.locator(`[data-entitlement="${entitlement}"]`)).toBeVisible();
  }

  // The simulator lists everyone the demo printed.
  const simulator = await context.newPage();
  await simulator.goto(demo.simulator);
  for (const person of demo.people) {
    await expect(simulator.getByRole('link', { name: person.name, exact: true })).toBeVisible();
  }
  await simulator.close();

  // Dave asks for the warehouse: his manager Bob approves, then its owner Henry with the
  // reason the policy requires, then Jack provisions it by hand.
  const dave = await context.newPage();
  await simulatorAs(dave, demo, who('dave@acme.test'));
  const warehouse = await requestInSlack(dave, {
    app: 'Data Warehouse', entitlement: 'Production read', firstLength: '5 minutes (the most allowed)',
    why: 'Check the revenue numbers for the board deck',
  });
  await expect(warehouse.message).toContainText('Awaiting approval');
  const bob = await context.newPage();
  await simulatorAs(bob, demo, who('bob@acme.test'));
  // The manager's step takes a reason if given; the owner's step needs one, and says so.
  await expect(approvalFor(bob, 'Production read')).toContainText('Approval reason (optional)', { timeout: 20_000 });
  await approve(bob, 'Production read');

  const henry = await context.newPage();
  await simulatorAs(henry, demo, who('henry@acme.test'));
  const ownersCopy = approvalFor(henry, 'Production read');
  await expect(ownersCopy.getByRole('button', { name: 'Approve' })).toBeVisible({ timeout: 20_000 });
  await expect(ownersCopy).toContainText('Approval reason');
  await expect(ownersCopy).not.toContainText('(optional)');
  await ownersCopy.getByLabel('Approval reason').fill('Read-only, and Dave owns the board numbers');
  await screenshot(henry, 'simulator.png', testInfo);
  await approve(henry, 'Production read');

  const jack = await context.newPage();
  await simulatorAs(jack, demo, who('jack@acme.test'));
  const assignment = jack.locator('#pane .message', { hasText: 'You have a new provisioning assignment' })
    .filter({ hasText: 'Production read' });
  await expect(assignment.getByRole('button', { name: 'Provisioned' })).toBeVisible({ timeout: 20_000 });
  await assignment.getByRole('button', { name: 'Provisioned' }).click();
  await expect(assignment).toContainText('Provisioned by', { timeout: 20_000 });
  // Dave's message is edited in place.
  await expect(warehouse.message).toContainText('Granted', { timeout: 20_000 });

  // Grace asks for GitHub: her manager Henry, then its owner Bob with a reason; nobody
  // provisions it: Latch calls the demo's webhook receiver, which accepts the signed call.
  const grace = await context.newPage();
  await simulatorAs(grace, demo, who('grace@acme.test'));
  const github = await requestInSlack(grace, {
    app: 'GitHub', entitlement: 'Repository maintainer', why: 'Cut the 2.4 release of the SDK',
  });
  await approve(henry, 'Repository maintainer');
  await approve(bob, 'Repository maintainer', 'Grace is the SDK\'s release manager this month');
  await expect(github.message).toContainText('Granted', { timeout: 20_000 });

  // The console agrees about both.
  await consolePage.goto(`${demo.console}/requests/${github.number}`);
  await waitForHydration(consolePage);
  await expect(consolePage.locator('dd.status')).toHaveText('granted');
  await consolePage.goto(`${demo.console}/requests/${warehouse.number}`);
  await waitForHydration(consolePage);
  await expect(consolePage.getByRole('heading', { level: 1 })).toContainText(warehouse.number);
  await expect(consolePage.locator('dd.status')).toHaveText('granted');
  await screenshot(consolePage, 'console.png', testInfo);
  await context.close();

  // Ctrl-C: a clean exit, and the temporary data directory is gone.
  await stopDemo(demo);
  expect(fs.existsSync(demo.dataDir), `${demo.dataDir} after the demo stopped`).toBe(false);
});

test('latch demo --data-dir keeps its data: after Ctrl-C and a new start, a request made in the first run is in the console and in Slack, where its message is still edited in place', async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const dataDir = testInfo.outputPath('kept-demo');
  const why = 'Look at last night\'s billing alarm';
  let demo = await startDemo(['--data-dir', dataDir]);
  expect(path.resolve(demo.dataDir)).toBe(path.resolve(dataDir));
  const who = (email) => signInOf(demo, email);
  // Dave asks for AWS Read-only in Slack: approved at once, it waits for Jack to provision it.
  let context = await browser.newContext();
  let dave = await context.newPage();
  await simulatorAs(dave, demo, who('dave@acme.test'));
  const { number } = await requestInSlack(dave, { app: 'AWS', entitlement: 'AWS Read-only', why });
  await context.close();
  await stopDemo(demo);
  for (const file of ['latch.db', 'slack-standin.json']) {
    expect(fs.existsSync(path.join(dataDir, file)), `${dataDir}/${file} after Ctrl-C`).toBe(true);
  }

  // The same directory again: the demo starts on it (it is the demo's).
  demo = await startDemo(['--data-dir', dataDir]);
  // A browser without the first run's session cookie: Dave signs in again.
  context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, demo, who('dave@acme.test'), `/requests/${number}`);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(number);
  await expect(page.locator('main')).toContainText(why);
  // Slack kept Dave's DM; Jack provisions, and the first run's message says Granted.
  dave = await context.newPage();
  await simulatorAs(dave, demo, who('dave@acme.test'));
  const message = dave.locator('#pane .message:not(.ephemeral)', { hasText: 'You have created a new access request' })
    .filter({ hasText: why });
  await expect(message).toHaveCount(1);
  await expect(message).toContainText('Awaiting provisioning');
  const jack = await context.newPage();
  await simulatorAs(jack, demo, who('jack@acme.test'));
  const assignment = jack.locator('#pane .message', { hasText: 'You have a new provisioning assignment' })
    .filter({ hasText: why });
  await assignment.getByRole('button', { name: 'Provisioned' }).click();
  await expect(assignment).toContainText('Provisioned by', { timeout: 20_000 });
  await expect(message).toContainText('Granted', { timeout: 20_000 });
  await context.close();
  await stopDemo(demo);
  expect(fs.existsSync(path.join(dataDir, 'latch.db'))).toBe(true);
});
