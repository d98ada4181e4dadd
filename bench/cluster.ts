/**
 * Scale-out on PL/Proxy (issue 11, docs/SCALE-OUT.md): what the proxy costs.
 *
 * - Per call: each routine (the journey's steps and logLoginAttempt, as the
 *   runtime section times them) and the whole journey, one client, through
 *   the proxy of a 2-partition cluster against the same on one database;
 *   rounds alternate between the two so that a change of the machine's load
 *   falls on both; p50 of the pooled samples, and their ratio.
 * - Why: probes with a bare connection (no memberships client) that separate
 *   the proxy's hop from the routine — a trivial function and a one-row
 *   insert, on the partition and through the proxy; the same statement
 *   unnamed (as PL/Proxy sends it) and prepared; and a new proxy session's
 *   first call (its connection to the partition, which `connection_lifetime`
 *   keeps).
 * - Capacity: journeys/s with 1, 4 and 16 clients on one database and on
 *   clusters of 2 and 4 partitions, the partitions being databases on the same
 *   local server (so more partitions add no hardware: it measures the proxy's
 *   cost under concurrency, not the scale-out's gain); then the 4-partition
 *   cluster with the proxy reaching its partitions through a throw-away
 *   PgBouncer (transaction pooling), skipped with a note when pgbouncer is not
 *   installed.
 *
 * Every measurement records the 1-minute load average when it started.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { deployCluster } from '../src/cluster/deploy.js';
import { migrate } from '../src/index.js';
import type { Machine } from './report.js';
import {
  BENCH_SETTINGS_SQL,
  JOURNEY,
  JOURNEY_ROUND_TRIPS,
  LOG_LOGIN_ATTEMPT,
  openServerClient,
  runJourney,
  warmUp,
  type Identity,
} from './journey.js';
import {
  adminQuery,
  checkpoint,
  createDatabase,
  drive,
  execOn,
  load1,
  percentile,
  phoneFor,
  round,
  summarize,
  tempDir,
  withoutOutputs,
  type BenchDatabase,
  type BenchOptions,
  type DriveSummary,
} from './support.js';

/** PL/Proxy's cluster name as deployCluster generates it (src/cluster/generate.ts). */
const CLUSTER = 'ecliptix';

export interface RatioRow {
  /** A routine (client method), or `journey`. */
  name: string;
  samples: number;
  singleP50Ms: number;
  /** The same called on partition 0 directly (the cluster's schema and identifier defaults, no proxy). */
  partitionP50Ms: number;
  proxyP50Ms: number;
  /** proxy p50 / one database's p50. */
  ratio: number;
  /** proxy p50 − one database's p50: the proxy's cost per call in ms. */
  addedMs: number;
  unexpected: number;
}

export interface ProbeRow {
  name: string;
  what: string;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  load1: number;
}

export interface ThroughputRow {
  /** 0 = one database (no proxy). */
  partitions: number;
  /** The proxy reached the partitions through PgBouncer (transaction pooling). */
  via?: 'pgbouncer';
  clients: number;
  journey?: DriveSummary;
  /** Server connections to the partition databases at the end of the run. */
  partitionConnections?: number;
  /** Why it was not measured (not enough free connections on the server). */
  skipped?: string;
  load1: number;
}

export interface ClusterBenchResult {
  /** The machine and commit it was measured on (set by run.ts). */
  machine?: Machine;
  config: {
    ratioPartitions: number;
    rounds: number;
    routineCount: number;
    journeyTimeS: number;
    probeSamples: number;
    throughputTimeS: number;
    connectionLifetimeSeconds: number;
    journeyRoundTrips: number;
  };
  /** os.loadavg() (1, 5, 15 minutes) when the section started. */
  loadavgAtStart: number[];
  deployMs: Record<number, number>;
  /** The load average before each alternating round of the ratio measurement. */
  ratioRoundLoads: number[];
  ratios: RatioRow[];
  probes: ProbeRow[];
  throughput: ThroughputRow[];
  /** The 4-partition cluster with the proxy's connections going through PgBouncer; skipped when it is not installed. */
  pgbouncer: { skipped: string } | { version: string; poolSize: number; rows: ThroughputRow[] };
}

export const CLUSTER_CONCURRENCY = [1, 4, 16] as const;
const PARTITION_COUNTS = [2, 4] as const;

interface BenchCluster {
  partitions: number;
  proxy: BenchDatabase;
  parts: BenchDatabase[];
  drop(): Promise<void>;
}

async function createCluster(options: BenchOptions, partitions: number, connectionLifetimeSeconds: number): Promise<BenchCluster> {
  const dbs: BenchDatabase[] = [];
  const drop = async () => {
    // The proxy first: its sessions hold the connections to the partitions.
    for (const db of dbs) await db.drop().catch(() => undefined);
  };
  try {
    const proxy = await createDatabase(options.adminUrl, `cl${partitions}_proxy`);
    dbs.push(proxy);
    const parts: BenchDatabase[] = [];
    for (let i = 0; i < partitions; i++) {
      const part = await createDatabase(options.adminUrl, `cl${partitions}_p${i}`);
      dbs.push(part);
      parts.push(part);
    }
    await deployCluster({ proxy: proxy.url, partitions: parts.map((p) => p.url), connectionLifetimeSeconds }, { lockTimeoutMs: 60_000 });
    for (const part of parts) await execOn(part.url, BENCH_SETTINGS_SQL);
    return { partitions, proxy, parts, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

/** Connections the server can still accept (max_connections less those open and the superuser reserve). */
async function freeConnections(adminUrl: string): Promise<number> {
  const [row] = await adminQuery<{ free: number }>(
    adminUrl,
    `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int - count(*)::int AS free FROM pg_stat_activity`,
  );
  return row!.free;
}

const p50 = (samples: readonly number[]) =>
  round(
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ),
    3,
  );

type Statement = string | pg.QueryConfig;

/**
 * Interleaved timing: call i of every statement runs before call i + 1 of any, the order rotating, so that
 * the machine's load, which changes from second to second here, falls on all of them alike. 20 untimed calls
 * of each first. Returns the samples per statement.
 */
async function timeInterleaved(statements: readonly [pg.Client, Statement][], count: number): Promise<number[][]> {
  for (const [client, sql] of statements) for (let i = 0; i < 20; i++) await client.query(sql);
  const samples = statements.map(() => [] as number[]);
  for (let i = 0; i < count; i++)
    for (let k = 0; k < statements.length; k++) {
      const j = (i + k) % statements.length;
      const [client, sql] = statements[j]!;
      const t0 = performance.now();
      await client.query(sql);
      samples[j]!.push(performance.now() - t0);
    }
  return samples;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'ecliptix-persistor bench' });
  await client.connect();
  return client;
}

/** The probe functions: on every partition a no-op and a one-row insert; on the proxy the same names, RUN ON partition 0. */
async function installProbes(cluster: BenchCluster): Promise<void> {
  for (const part of cluster.parts)
    await execOn(
      part.url,
      `CREATE TABLE public.bench_writes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
       CREATE FUNCTION public.bench_noop(p int) RETURNS int LANGUAGE sql STABLE AS $$ SELECT p $$;
       CREATE FUNCTION public.bench_write(p int) RETURNS int LANGUAGE sql VOLATILE AS $$ INSERT INTO public.bench_writes DEFAULT VALUES; SELECT p $$;`,
    );
  await execOn(
    cluster.proxy.url,
    `CREATE FUNCTION public.bench_noop(p int) RETURNS int LANGUAGE plproxy AS $$ CLUSTER '${CLUSTER}'; RUN ON 0; $$;
     CREATE FUNCTION public.bench_write(p int) RETURNS int LANGUAGE plproxy AS $$ CLUSTER '${CLUSTER}'; RUN ON 0; $$;`,
  );
}

async function probes(cluster: BenchCluster, count: number, log: BenchOptions['log']): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  const proxy = await connect(cluster.proxy.url);
  const part = await connect(cluster.parts[0]!.url);
  try {
    const add = async (pairs: readonly { name: string; what: string; client: pg.Client; sql: Statement }[]) => {
      const load = load1();
      const samples = await timeInterleaved(
        pairs.map((x) => [x.client, x.sql] as [pg.Client, Statement]),
        count,
      );
      pairs.forEach((x, j) => {
        const s = summarize(samples[j]!);
        rows.push({ name: x.name, what: x.what, p50Ms: s.p50Ms, p99Ms: s.p99Ms, samples: s.n, load1: load });
      });
    };
    const noop = { text: 'SELECT public.bench_noop($1)', values: [1] };
    const write = { text: 'SELECT public.bench_write($1)', values: [1] };
    await add([
      { name: 'select1-proxy', what: '`SELECT 1` on the proxy (the client round trip alone)', client: proxy, sql: 'SELECT 1' },
      { name: 'noop-partition', what: 'no-op SQL function, called on partition 0', client: part, sql: noop },
      { name: 'noop-proxy', what: 'the same through the proxy (PL/Proxy, RUN ON 0): the hop', client: proxy, sql: noop },
    ]);
    await add([
      { name: 'write-partition', what: 'one-row INSERT (one commit), called on partition 0', client: part, sql: write },
      { name: 'write-proxy', what: 'the same through the proxy (one remote commit, none on the proxy)', client: proxy, sql: write },
    ]);
    // The device hop of ensurePhoneNumber and initiateVerificationFlow: the device's row read on its home partition.
    const { rows: devices } = await proxy.query<{ id: string }>(
      'SELECT app_device_id::text AS id FROM ecliptix.register_app_device_if_not_exists($1::uuid, $2::uuid, 1)',
      [randomUUID(), randomUUID()],
    );
    const deviceId = devices[0]!.id;
    const home = await connect(cluster.parts[Number.parseInt(deviceId.slice(0, 4), 16) & (cluster.partitions - 1)]!.url);
    try {
      await add([
        {
          name: 'device-row-partition',
          what: "a device's row read by `ecliptix_partition.app_device_row` on its home partition",
          client: home,
          sql: { text: 'SELECT ecliptix_partition.app_device_row($1::uuid)', values: [deviceId] },
        },
        {
          name: 'device-row-proxy',
          what: 'the same through the proxy (`ecliptix_route.app_device_row`): the extra call of a routine that copies the device',
          client: proxy,
          sql: { text: 'SELECT ecliptix_route.app_device_row($1::uuid)', values: [deviceId] },
        },
      ]);
    } finally {
      await home.end();
    }
    const routine =
      'SELECT outcome::text, app_device_id::uuid, status::int4 FROM ecliptix.register_app_device_if_not_exists($1::uuid, $2::uuid, $3::int4)';
    const args = () => [randomUUID(), randomUUID(), 1];
    await add([
      {
        name: 'register-unnamed',
        what: '`register_app_device_if_not_exists` on partition 0, unnamed statement (as PL/Proxy sends it: parsed and planned each call)',
        client: part,
        sql: {
          text: routine,
          get values() {
            return args();
          },
        },
      },
      {
        name: 'register-prepared',
        what: 'the same as a named prepared statement (parsed once)',
        client: part,
        sql: {
          name: 'bench_register',
          text: routine,
          get values() {
            return args();
          },
        },
      },
    ]);
  } finally {
    await proxy.end();
    await part.end();
  }
  // A new proxy session's first call: PL/Proxy connects to the partition (what connection_lifetime saves on later calls).
  const cold: number[] = [];
  const warm: number[] = [];
  const load = load1();
  for (let i = 0; i < Math.max(5, Math.round(count / 15)); i++) {
    const client = await connect(cluster.proxy.url);
    try {
      const t0 = performance.now();
      await client.query('SELECT public.bench_noop(1)');
      cold.push(performance.now() - t0);
      const t1 = performance.now();
      await client.query('SELECT public.bench_noop(1)');
      warm.push(performance.now() - t1);
    } finally {
      await client.end();
    }
  }
  const c = summarize(cold);
  const w = summarize(warm);
  rows.push({
    name: 'first-call',
    what: "a new proxy session's first call (PL/Proxy connects to the partition)",
    p50Ms: c.p50Ms,
    p99Ms: c.p99Ms,
    samples: c.n,
    load1: load,
  });
  rows.push({ name: 'second-call', what: "the same session's second call", p50Ms: w.p50Ms, p99Ms: w.p99Ms, samples: w.n, load1: load });
  for (const r of rows) log(`  probe ${r.name}: p50 ${r.p50Ms} ms p99 ${r.p99Ms} ms (load ${r.load1})`);
  return rows;
}

const PGBOUNCER_POOL_SIZE = 4;

/** Journeys/s of one cell, after untimed journeys that make every pooled proxy session call every partition. */
async function measureCell(
  options: BenchOptions,
  url: string,
  parts: readonly BenchDatabase[],
  clients: number,
  plan: { warmBlock: number; block: number; timeMs: number },
): Promise<{ clients: number; journey: DriveSummary; partitionConnections?: number; load1: number }> {
  await checkpoint(options.adminUrl);
  const client = await openServerClient(url, clients);
  try {
    await drive(clients, { count: clients * (parts.length + 3), timeMs: 15_000 }, (i) =>
      runJourney(client, phoneFor(plan.warmBlock, i + clients * 1000)),
    );
    const load = load1();
    const run = await drive(clients, { count: 100_000, timeMs: plan.timeMs }, (i) => runJourney(client, phoneFor(plan.block, i)));
    let partitionConnections: number | undefined;
    if (parts.length) {
      const [row] = await adminQuery<{ n: number }>(
        options.adminUrl,
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1::text[])',
        [parts.map((p) => p.name)],
      );
      partitionConnections = row!.n;
    }
    return { clients, journey: withoutOutputs(run), ...(partitionConnections === undefined ? {} : { partitionConnections }), load1: load };
  } finally {
    await client.close();
  }
}

type Bouncer = { port: number; version: string; stop(): void } | { missing: string };

/**
 * A throw-away PgBouncer (transaction pooling, PGBOUNCER_POOL_SIZE server connections per partition) in front of
 * the server, on its own port, run as the postgres user when this process is root (PgBouncer refuses root).
 */
async function startPgbouncer(adminUrl: string): Promise<Bouncer> {
  const binary = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((b) => existsSync(b));
  if (!binary) return { missing: 'pgbouncer is not installed (apt-get install pgbouncer); the cells through it were not measured' };
  const server = new URL(adminUrl);
  const dir = tempDir('pgbouncer');
  chmodSync(dir, 0o777);
  const port = 30000 + Math.floor(Math.random() * 20000);
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || '5432'} user=${decodeURIComponent(server.username) || 'postgres'}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = any',
      'pool_mode = transaction',
      `default_pool_size = ${PGBOUNCER_POOL_SIZE}`,
      'max_client_conn = 500',
      'server_reset_query =',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'log')}`,
      `pidfile = ${join(dir, 'pid')}`,
      '',
    ].join('\n'),
  );
  const asUser = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  const [program, ...args] = [...asUser, binary, '-d', ini];
  const started = spawnSync(program!, args, { encoding: 'utf8' });
  if (started.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return { missing: `pgbouncer did not start: ${(started.stderr || started.stdout).trim()}` };
  }
  const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
  const stop = () => {
    process.removeListener('exit', stop);
    try {
      process.kill(Number(readFileSync(join(dir, 'pid'), 'utf8').trim()), 'SIGTERM');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Stopped on the way out too (Ctrl-C: run.ts drops the databases, then exits).
  process.once('exit', stop);
  for (let i = 0; i < 50; i++) {
    try {
      await execOn(`postgres://postgres@127.0.0.1:${port}/postgres`, 'SELECT 1');
      return { port, version, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  stop();
  return { missing: 'pgbouncer started but did not accept connections within 5 s' };
}

/** Makes the proxy's cluster definition reach every partition through the port given (the same host). */
async function pointProxyAt(cluster: BenchCluster, port: number): Promise<void> {
  const [row] = await adminQuery<{ srvoptions: string[] }>(
    cluster.proxy.url,
    `SELECT srvoptions FROM pg_foreign_server WHERE srvname = '${CLUSTER}'`,
  );
  const changes = row!.srvoptions
    .map((option) => /^(p\d+)=(.*)$/s.exec(option))
    .filter((m): m is RegExpExecArray => m !== null)
    .map(([, key, value]) => `SET ${key} '${value!.replace(/port=\d+/, `port=${port}`).replace(/'/g, "''")}'`);
  await execOn(cluster.proxy.url, `ALTER SERVER ${CLUSTER} OPTIONS (${changes.join(', ')})`);
}

export async function benchCluster(options: BenchOptions): Promise<ClusterBenchResult> {
  const quick = options.quick;
  const rounds = quick ? 2 : 3;
  const routineCount = quick ? 40 : 60;
  const journeyTimeMs = quick ? 1500 : 2500;
  const probeSamples = quick ? 100 : 200;
  const throughputTimeMs = quick ? 2000 : 3000;
  const connectionLifetimeSeconds = 1800;
  const ratioPartitions = 2;
  const loadavgAtStart = loadavg().map((v) => round(v, 2));
  options.log(`  load average ${loadavgAtStart.join(', ')} (1, 5, 15 min)`);

  const single = await createDatabase(options.adminUrl, 'cl_single');
  const clusters = new Map<number, BenchCluster>();
  const deployMs: Record<number, number> = {};
  try {
    await migrate({ databaseUrl: single.url });
    await execOn(single.url, BENCH_SETTINGS_SQL);
    for (const n of PARTITION_COUNTS) {
      const t0 = performance.now();
      clusters.set(n, await createCluster(options, n, connectionLifetimeSeconds));
      deployMs[n] = round(performance.now() - t0, 0);
      options.log(`  cluster of ${n} partitions created and deployed in ${deployMs[n]} ms`);
    }
    const ratioCluster = clusters.get(ratioPartitions)!;

    // ---------------------------------------------------- per call, one client
    await checkpoint(options.adminUrl);
    const singleClient = await openServerClient(single.url, 1);
    const partitionClient = await openServerClient(ratioCluster.parts[0]!.url, 1);
    const proxyClient = await openServerClient(ratioCluster.proxy.url, 1);
    const pooled = {
      single: {} as Record<string, number[]>,
      partition: {} as Record<string, number[]>,
      proxy: {} as Record<string, number[]>,
    };
    const unexpected: Record<string, number> = {};
    const ratioRoundLoads: number[] = [];
    try {
      await warmUp(singleClient, 1, 89);
      await warmUp(partitionClient, 1, 88);
      await warmUp(proxyClient, 1, 89);
      const sides = [
        { side: 'single', client: singleClient, block: 50 },
        // Partition 0 also holds some of the proxy's phones: its direct calls use other numbers.
        { side: 'partition', client: partitionClient, block: 40 },
        { side: 'proxy', client: proxyClient, block: 50 },
      ] as const;
      for (let r = 0; r < rounds; r++) {
        ratioRoundLoads.push(load1());
        options.log(
          `  round ${r + 1}/${rounds}: each routine, then the journey, interleaved on one database, partition 0 directly and the proxy (load ${ratioRoundLoads[r]})`,
        );
        // Call i on every side before call i + 1 on any (the order rotating): the three see the same moments' load.
        let identities = sides.map((x) => Array.from({ length: routineCount }, (_, i): Identity => ({ phone: phoneFor(x.block + r, i) })));
        for (const step of [...JOURNEY, LOG_LOGIN_ATTEMPT]) {
          const next = sides.map(() => [] as Identity[]);
          for (let i = 0; i < routineCount; i++)
            for (let k = 0; k < sides.length; k++) {
              const j = (i + k) % sides.length;
              const input = identities[j]![i];
              if (!input) continue;
              const t0 = performance.now();
              const result = await step.run(sides[j]!.client, input).catch((error: unknown) => ({
                ok: false,
                outcome: (error as Error).message,
                value: undefined,
              }));
              (pooled[sides[j]!.side][step.name] ??= []).push(performance.now() - t0);
              if (result.ok && result.value) next[j]!.push(result.value);
              else unexpected[step.name] = (unexpected[step.name] ?? 0) + 1;
            }
          identities = next;
        }
        const until = performance.now() + journeyTimeMs;
        for (let i = 0; performance.now() < until; i++)
          for (let k = 0; k < sides.length; k++) {
            const j = (i + k) % sides.length;
            const t0 = performance.now();
            const result = await runJourney(sides[j]!.client, phoneFor(sides[j]!.block + 5 + r, i));
            (pooled[sides[j]!.side].journey ??= []).push(performance.now() - t0);
            if (!result.ok) unexpected.journey = (unexpected.journey ?? 0) + 1;
          }
      }
    } finally {
      await singleClient.close();
      await partitionClient.close();
      await proxyClient.close();
    }
    const ratios: RatioRow[] = Object.keys(pooled.single).map((name) => {
      const s = p50(pooled.single[name]!);
      const p = p50(pooled.proxy[name] ?? []);
      return {
        name,
        samples: Math.min(pooled.single[name]!.length, pooled.proxy[name]?.length ?? 0),
        singleP50Ms: s,
        partitionP50Ms: p50(pooled.partition[name] ?? []),
        proxyP50Ms: p,
        ratio: round(p / s, 2),
        addedMs: round(p - s, 3),
        unexpected: unexpected[name] ?? 0,
      };
    });
    for (const r of ratios)
      options.log(
        `  ${r.name}: one database ${r.singleP50Ms} ms, partition 0 directly ${r.partitionP50Ms} ms, proxy ${r.proxyP50Ms} ms → ${r.ratio}x`,
      );

    // ---------------------------------------------------------------- why
    await installProbes(ratioCluster);
    const probeRows = await probes(ratioCluster, probeSamples, options.log);

    // ------------------------------------------------------------ capacity
    const throughput: ThroughputRow[] = [];
    for (const clients of CLUSTER_CONCURRENCY) {
      for (const partitions of [0, ...PARTITION_COUNTS]) {
        const url = partitions === 0 ? single.url : clusters.get(partitions)!.proxy.url;
        // The proxy's sessions each keep a connection to every partition they call.
        const needed = partitions === 0 ? clients : clients * (partitions + 1);
        const free = await freeConnections(options.adminUrl);
        if (free < needed + 5) {
          const skipped = `needs ${needed} connections, the server has ${free} free (max_connections; other sessions)`;
          options.log(`  ${partitions || 'one database'}${partitions ? ' partitions' : ''}, ${clients} client(s): skipped, ${skipped}`);
          throughput.push({ partitions, clients, skipped, load1: load1() });
          continue;
        }
        const row = await measureCell(options, url, clusters.get(partitions)?.parts ?? [], clients, {
          warmBlock: 60 + partitions,
          block: 10 + partitions * 5 + CLUSTER_CONCURRENCY.indexOf(clients),
          timeMs: throughputTimeMs,
        });
        throughput.push({ partitions, ...row });
        options.log(
          `  ${partitions ? `${partitions} partitions` : 'one database'}, ${clients} client(s): ${row.journey.opsPerSec} journeys/s, p50 ${row.journey.p50Ms} ms, p99 ${row.journey.p99Ms} ms, ${row.partitionConnections ?? '-'} partition connections (load ${row.load1})`,
        );
      }
    }

    // ------------------------------------------- PgBouncer before the partitions
    const four = clusters.get(4)!;
    const bouncer = await startPgbouncer(options.adminUrl);
    let pgbouncer: ClusterBenchResult['pgbouncer'];
    if ('missing' in bouncer) {
      pgbouncer = { skipped: bouncer.missing };
      options.log(`  PgBouncer: skipped, ${bouncer.missing}`);
    } else {
      try {
        await pointProxyAt(four, bouncer.port);
        pgbouncer = { version: bouncer.version, poolSize: PGBOUNCER_POOL_SIZE, rows: [] };
        for (const clients of [4, 16] as const) {
          const row = await measureCell(options, four.proxy.url, four.parts, clients, {
            warmBlock: 70,
            block: 90 + CLUSTER_CONCURRENCY.indexOf(clients),
            timeMs: throughputTimeMs,
          });
          pgbouncer.rows.push({ partitions: 4, via: 'pgbouncer', ...row });
          options.log(
            `  4 partitions via PgBouncer, ${clients} client(s): ${row.journey.opsPerSec} journeys/s, p50 ${row.journey.p50Ms} ms, p99 ${row.journey.p99Ms} ms, ${row.partitionConnections} partition connections (load ${row.load1})`,
          );
        }
      } finally {
        bouncer.stop();
      }
    }

    return {
      config: {
        ratioPartitions,
        rounds,
        routineCount,
        journeyTimeS: journeyTimeMs / 1000,
        probeSamples,
        throughputTimeS: throughputTimeMs / 1000,
        connectionLifetimeSeconds,
        journeyRoundTrips: JOURNEY_ROUND_TRIPS,
      },
      loadavgAtStart,
      deployMs,
      ratioRoundLoads,
      ratios,
      probes: probeRows,
      throughput,
      pgbouncer,
    };
  } finally {
    for (const cluster of clusters.values()) await cluster.drop();
    await single.drop();
  }
}
