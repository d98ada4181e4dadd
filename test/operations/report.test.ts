/**
 * `report`: the figures match the rows placed (per day and per region, small
 * regions folded into "other"), every format says no phone number, and the
 * HTML file — opened in headless Chromium (Debian's `chromium`, which
 * `npm test` installs when missing: scripts/require-chromium.mjs) — renders
 * every chart with data, logs no console error and requests nothing but
 * itself. A screenshot is kept in test-artifacts/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { MembershipsClient } from '../../src/client/memberships-client.js';
import { health } from '../../src/commands/health.js';
import { report } from '../../src/commands/report.js';
import { clientFixtureEach, registeredDevice, verifiedClientFlow } from '../client/client-harness.js';
import { runCli } from '../support/cli.js';
import { setClockOffset } from '../support/clock.js';
import { createTestDatabase, withOpenDatabase } from '../support/databases.js';
import { createMembershipsClient } from '../../src/client/memberships-client.js';
import { generateKeyring } from '../../src/client/keyring.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url);

let sequence = 0;
/** A different valid number of the region each call: US +1 415 555 xxxx, GB +44 79 xxxx xxxx, FR +33 6 xx xx xx xx. */
function phoneOf(region: 'US' | 'GB' | 'FR'): string {
  sequence += 1;
  const n = String(sequence).padStart(4, '0');
  return region === 'US' ? `+1415555${n}` : region === 'GB' ? `+447900${n}00` : `+33612${n}00`;
}

/** A flow started with its code issued, never verified. */
async function startedFlow(client: MembershipsClient, phoneNumber: string): Promise<void> {
  const deviceId = await registeredDevice(client);
  const phone = await client.ensurePhoneNumber({ phoneNumber, appDeviceId: deviceId });
  if (!('phoneId' in phone)) throw new Error(phone.outcome);
  const flow = await client.initiateVerificationFlow({ appDeviceId: deviceId, phoneId: phone.phoneId, purpose: 'registration' });
  if (flow.outcome !== 'created') throw new Error(flow.outcome);
  expect((await client.issueOtp(flow.flow.flowId)).outcome).toBe('issued');
}

/** Today: US 4 flows (2 verified), GB 3 (1 verified), FR 1; two days ago: US 1 verified. Returns every number used. */
async function placeActivity(client: MembershipsClient, db: Parameters<typeof setClockOffset>[0]): Promise<string[]> {
  const numbers: string[] = [];
  const verified = async (region: 'US' | 'GB' | 'FR') => {
    const phoneNumber = phoneOf(region);
    numbers.push(phoneNumber);
    await verifiedClientFlow(client, { phoneNumber, purpose: 'registration' });
  };
  const started = async (region: 'US' | 'GB' | 'FR') => {
    const phoneNumber = phoneOf(region);
    numbers.push(phoneNumber);
    await startedFlow(client, phoneNumber);
  };
  await setClockOffset(db, -2 * 86_400);
  await verified('US');
  await setClockOffset(db, 0);
  for (const region of ['US', 'US', 'GB'] as const) await verified(region);
  for (const region of ['US', 'US', 'GB', 'GB', 'FR'] as const) await started(region);
  // Five failed sign-ins of one number: the fifth starts a lockout, the failed_logins limit's one hit (V020).
  const locked = phoneOf('US');
  numbers.push(locked);
  for (let i = 0; i < 5; i++) await client.logLoginAttempt({ phoneNumber: locked, outcome: 'invalid_passphrase', isSuccess: false });
  return numbers;
}

describe.each(['pglite', 'postgres'] as const)('report on %s', (engine) => {
  const fx = clientFixtureEach(engine);

  it('counts each day and each region as placed, folds small regions into "other", and names no phone number', async () => {
    const numbers = await placeActivity(fx.client, fx.db);
    const { data, document } = await report({ db: fx.db, days: 7, minimumRegionFlows: 3, format: 'json' });
    expect(data.activity).toHaveLength(7);
    const today = data.activity.at(-1)!;
    const twoDaysAgo = data.activity.at(-3)!;
    expect(today).toMatchObject({ flowsStarted: 8, flowsVerified: 3, codesIssued: 8, membershipsCreated: 0 });
    expect(twoDaysAgo).toMatchObject({ flowsStarted: 1, flowsVerified: 1, codesIssued: 1 });
    expect(data.activity.slice(0, 4).every((d) => d.flowsStarted === 0)).toBe(true);
    // FR (1 flow) is under the minimum of 3, and "other" with FR alone would be FR's figures: GB joins it.
    expect(data.conversion).toEqual([
      { region: 'US', flowsStarted: 5, flowsVerified: 3, codesIssued: 5 },
      { region: 'other', flowsStarted: 4, flowsVerified: 1, codesIssued: 4 },
    ]);
    expect(data.migrations).toMatchObject({ upToDate: true, pending: 0, schemaComplete: true });
    expect(data.limitHits).toEqual([{ day: today.day, limit: 'failed_logins', hits: 1 }]);
    expect(today).toMatchObject({ failedSignIns: 5, lockouts: 1 });
    expect(data.health).toBeNull(); // no health run yet: no snapshot table
    await health({ db: fx.db });
    const withHealth = (await report({ db: fx.db, days: 7, format: 'json' })).data;
    expect(withHealth.health).toHaveLength(1);
    expect(withHealth.health![0]!.checks.map((c) => c.check)).toContain('invalid-indexes');
    const markdown = (await report({ db: fx.db, days: 7, minimumRegionFlows: 3, format: 'md' })).document;
    expect(markdown).toContain('| US | 5 | 3 | 60.0 % | 5 |');
    for (const text of [document, markdown]) for (const number of numbers) expect(text).not.toContain(number.slice(-6));
  });
});

describe('report as HTML, opened in headless Chromium (server)', () => {
  it('renders every chart with data, logs no console error and fetches nothing; --output and bad arguments', async () => {
    const target = await createTestDatabase('postgres', { withSchema: true });
    try {
      const numbers = await withOpenDatabase(target, async (db) => {
        const placed = await placeActivity(
          createMembershipsClient({ db, secrets: { otpKeys: generateKeyring(), dataKeys: generateKeyring() } }),
          db,
        );
        // Two health runs: the trend has two points.
        await health({ db });
        await health({ db });
        return placed;
      });
      const file = join(target.workDir, 'report.html');
      const written = await runCli([...target.cliArgs, 'report', '--days', '7', '--min-region-flows', '3', '--output', file]);
      expect(written.stderr).toBe('');
      expect(written.code).toBe(0);
      const html = readFileSync(file, 'utf8');
      expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/i);
      for (const number of numbers) expect(html).not.toContain(number.slice(-6));

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (message) => {
          if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
        });
        page.on('pageerror', (error) => problems.push(error.message));
        page.on('request', (request) => requests.push(request.url()));
        await page.goto(pathToFileURL(file).href);
        const charts = await page.$$eval('figure[data-chart]', (figures) =>
          figures.map((f) => ({
            id: f.getAttribute('data-chart'),
            width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
            marks: f.querySelectorAll('svg g.mark-line path, svg g.mark-rect path, svg g.mark-symbol path').length,
          })),
        );
        expect(charts.map((c) => c.id)).toEqual(['verification', 'sign-ins', 'conversion', 'limit-hits', 'health-levels', 'database-size']);
        for (const chart of charts) {
          expect(chart.width, chart.id!).toBeGreaterThan(300);
          expect(chart.marks, chart.id!).toBeGreaterThan(0);
        }
        expect(await page.textContent('body')).toContain('Conversion by region');
        expect(problems).toEqual([]);
        expect(requests).toEqual([pathToFileURL(file).href]);
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: new URL('report.png', ARTIFACTS).pathname, fullPage: true });
      } finally {
        await browser.close();
      }

      for (const args of [
        ['--days', '0'],
        ['--days', 'x'],
        ['--format', 'pdf'],
        ['--min-region-flows', '-1'],
      ]) {
        const bad = await runCli([...target.cliArgs, 'report', ...args]);
        expect(bad.code, args.join(' ')).toBe(2);
      }
    } finally {
      await target.drop();
    }
  });
});
