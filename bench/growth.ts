/**
 * Growth: the p50 latency of each routine (one client) on a database with
 * 10k rows in the hot tables and on one with 1M, with realistic parameters —
 * new identities going through the journey step by step, and existing phones
 * and members drawn evenly from the whole bulk-loaded history. The ratio
 * shows whether cost stays flat. The two databases are measured in
 * alternating rounds (each round starting with the other one) so that a
 * passing disturbance hits both alike.
 * Also: `status` wall time on both (small tables counted, large ones the planner's estimate).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { migrate, type MembershipsClient } from '../src/index.js';
import { hotTablesSql, loadBulk } from './bulk.js';
import { BENCH_SETTINGS_SQL, openServerClient, routinesAlone, runJourney, warmUp } from './journey.js';
import {
  adminQuery,
  bulkPhone,
  createDatabase,
  drive,
  execOn,
  median,
  phoneFor,
  round,
  runCli,
  summarize,
  type BenchDatabase,
  type BenchOptions,
} from './support.js';

export interface GrowthRow {
  routine: string;
  smallP50Ms: number;
  largeP50Ms: number;
  /** large / small */
  ratio: number;
  samples: number;
  unexpected: number;
}

export interface GrowthResult {
  small: number;
  large: number;
  rounds: number;
  samplesPerRound: number;
  loadSeconds: { small: number; large: number };
  databaseMb: { small: number; large: number };
  rows: GrowthRow[];
  worstRatio: number;
  worstRoutine: string;
  /** `status -s <url>` process wall time, median of 3 (null when it could not run). */
  statusCliMs: { small: number; large: number } | null;
}

interface Member {
  phone: string;
  phoneId: string;
  appDeviceId: string;
  membershipId: string;
}

/** `count` existing members spread evenly over the history, distinct per round. */
async function existingMembers(url: string, rows: number, count: number, round: number, rounds: number): Promise<Member[]> {
  const phones = Array.from({ length: count }, (_, k) => bulkPhone(Math.floor(((k * rounds + round + 0.5) * rows) / (count * rounds))));
  const { rows: found } = await execOn(
    url,
    `SELECT p.phone_number AS phone, p.unique_id AS phone_id, m.app_device_id, m.unique_id AS membership_id
       FROM ecliptix.phone_numbers p JOIN ecliptix.memberships m ON m.phone_number_id = p.unique_id
      WHERE p.phone_number = ANY($1::text[])`,
    [phones],
  );
  return found.map((r: Record<string, string>) => ({
    phone: r.phone!,
    phoneId: r.phone_id!,
    appDeviceId: r.app_device_id!,
    membershipId: r.membership_id!,
  }));
}

type Samples = Map<string, { ms: number[]; unexpected: number }>;

function add(samples: Samples, name: string, ms: number[], unexpected: number): void {
  const entry = samples.get(name) ?? { ms: [], unexpected: 0 };
  entry.ms.push(...ms);
  entry.unexpected += unexpected;
  samples.set(name, entry);
}

async function measureRound(
  client: MembershipsClient,
  url: string,
  rows: number,
  count: number,
  round: number,
  rounds: number,
  samples: Samples,
): Promise<void> {
  const bound = { count, timeMs: 600_000 };
  // New identities, each routine alone.
  const alone = await routinesAlone(client, 1, bound, 50 + round);
  for (const [name, ms] of Object.entries(alone.samples))
    add(samples, name, ms, alone.summaries[name]!.unexpected + alone.summaries[name]!.errors);
  // The journey as one.
  const journey = await drive(1, { count: Math.ceil(count / 2), timeMs: 600_000 }, (i) => runJourney(client, phoneFor(60 + round, i)));
  add(samples, 'journey (all steps)', journey.samplesMs, journey.unexpected + journey.errors);
  // Existing phones and members from the bulk history.
  const members = await existingMembers(url, rows, count, round, rounds);
  for (const m of members) {
    // A new key under the client's data key, so that login can decrypt it (untimed): the member recovers
    // through a verified password_recovery flow, the proof a key replacement needs.
    const flow = await client.initiateVerificationFlow({
      appDeviceId: m.appDeviceId,
      phoneId: m.phoneId,
      purpose: 'password_recovery',
      connectionId: 7,
    });
    if (flow.outcome !== 'created') throw new Error(`cannot prepare member ${m.phone}: recovery flow ${flow.outcome}`);
    const otp = await client.issueOtp(flow.flow.flowId);
    if (otp.outcome !== 'issued') throw new Error(`cannot prepare member ${m.phone}: code ${otp.outcome}`);
    const verified = await client.verifyOtp(flow.flow.flowId, otp.code);
    if (verified.outcome !== 'verified') throw new Error(`cannot prepare member ${m.phone}: check ${verified.outcome}`);
    const r = await client.setSecureKey({ membershipId: m.membershipId, flowId: flow.flow.flowId, secureKey: randomBytes(32) });
    if (r.outcome !== 'updated') throw new Error(`cannot prepare member ${m.phone}: ${r.outcome}`);
  }
  const existing: Array<[string, (m: Member) => Promise<{ ok: boolean; outcome: string }>]> = [
    [
      'ensurePhoneNumber (existing phone)',
      async (m) => {
        const r = await client.ensurePhoneNumber({ phoneNumber: m.phone, appDeviceId: m.appDeviceId });
        return { ok: r.outcome === 'associated', outcome: r.outcome };
      },
    ],
    [
      'initiateVerificationFlow (existing phone)',
      async (m) => {
        const r = await client.initiateVerificationFlow({
          appDeviceId: m.appDeviceId,
          phoneId: m.phoneId,
          purpose: 'login',
          connectionId: 7,
        });
        return { ok: r.outcome === 'created', outcome: r.outcome };
      },
    ],
    [
      'login (existing member)',
      async (m) => {
        const r = await client.login(m.phone);
        return { ok: r.outcome === 'success', outcome: r.outcome };
      },
    ],
    [
      'logLoginAttempt (existing phone)',
      async (m) => {
        const r = await client.logLoginAttempt({ phoneNumber: m.phone, outcome: 'invalid_passphrase', isSuccess: false });
        return { ok: r.outcome === 'logged', outcome: r.outcome };
      },
    ],
  ];
  for (const [name, call] of existing) {
    const r = await drive(1, { count: members.length, timeMs: 600_000 }, (i) => call(members[i]!));
    add(samples, name, r.samplesMs, r.unexpected + r.errors);
  }
}

async function prepare(
  options: BenchOptions,
  label: string,
  rows: number,
): Promise<{ db: BenchDatabase; loadSeconds: number; mb: number }> {
  const db = await createDatabase(options.adminUrl, label);
  await migrate({ databaseUrl: db.url });
  await execOn(db.url, BENCH_SETTINGS_SQL);
  const t0 = performance.now();
  await loadBulk(db.url, hotTablesSql(rows));
  const loadSeconds = round((performance.now() - t0) / 1000, 1);
  const [size] = await adminQuery<{ mb: number }>(options.adminUrl, 'SELECT pg_database_size($1) / 1048576.0 AS mb', [db.name]);
  options.log(`  ${rows} rows per hot table loaded in ${loadSeconds} s (${round(Number(size!.mb), 0)} MB)`);
  return { db, loadSeconds, mb: round(Number(size!.mb), 0) };
}

export async function benchGrowth(options: BenchOptions): Promise<GrowthResult> {
  const small = 10_000;
  const large = options.quick ? 100_000 : 1_000_000;
  const rounds = 2;
  const count = options.quick ? 30 : 150;
  const a = await prepare(options, 'growth_small', small);
  let b: Awaited<ReturnType<typeof prepare>> | undefined;
  try {
    b = await prepare(options, 'growth_large', large);
    const samples = { small: new Map() as Samples, large: new Map() as Samples };
    for (let r = 0; r < rounds; r++) {
      const order = [
        ['small', a.db, small],
        ['large', b.db, large],
      ] as const;
      // Alternate which database goes first.
      for (const [which, db, rows] of r % 2 === 0 ? order : [...order].reverse()) {
        const client = await openServerClient(db.url, 1);
        try {
          await warmUp(client, 1, 80 + r);
          await measureRound(client, db.url, rows, count, r, rounds, samples[which]);
        } finally {
          await client.close();
        }
      }
      options.log(`  round ${r + 1}/${rounds} done`);
    }
    const rowsOut: GrowthRow[] = [];
    for (const [routine, s] of samples.small) {
      const l = samples.large.get(routine)!;
      const sp = summarize(s.ms).p50Ms;
      const lp = summarize(l.ms).p50Ms;
      rowsOut.push({
        routine,
        smallP50Ms: sp,
        largeP50Ms: lp,
        ratio: round(lp / sp, 2),
        samples: Math.min(s.ms.length, l.ms.length),
        unexpected: s.unexpected + l.unexpected,
      });
    }
    const worst = rowsOut.reduce((w, r) => (r.ratio > w.ratio ? r : w), rowsOut[0]!);
    const statusRuns = { small: [] as number[], large: [] as number[] };
    try {
      for (let i = 0; i < 3; i++) {
        statusRuns.small.push((await runCli(['status', '-s', a.db.url])).wallMs);
        statusRuns.large.push((await runCli(['status', '-s', b.db.url])).wallMs);
      }
    } catch (error) {
      options.log(`  status could not be timed: ${(error as Error).message}`);
    }
    const result: GrowthResult = {
      small,
      large,
      rounds,
      samplesPerRound: count,
      loadSeconds: { small: a.loadSeconds, large: b.loadSeconds },
      databaseMb: { small: a.mb, large: b.mb },
      rows: rowsOut,
      worstRatio: worst.ratio,
      worstRoutine: worst.routine,
      statusCliMs: statusRuns.large.length
        ? { small: round(median(statusRuns.small), 1), large: round(median(statusRuns.large), 1) }
        : null,
    };
    for (const r of rowsOut) options.log(`  ${r.routine}: ${r.smallP50Ms} -> ${r.largeP50Ms} ms (x${r.ratio})`);
    if (result.statusCliMs) options.log(`  status: ${result.statusCliMs.small} -> ${result.statusCliMs.large} ms`);
    return result;
  } finally {
    await a.db.drop();
    await b?.db.drop();
  }
}
