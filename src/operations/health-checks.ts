/**
 * The checks of `health`: each reads the catalog or the statistics system
 * (sql/operations/health/*.sql, never a table's rows) and turns the numbers
 * into findings — a level against the check's thresholds, the number behind
 * it and one concrete thing to do. A check whose statistic the engine lacks
 * (PGlite: one backend, no server-wide activity or cache figures, no
 * extensions) says so as SKIPPED.
 */
import type { Engine, Queryable } from '../db/database.js';
import { isPersistorError } from '../errors.js';
import { sqlFile } from '../sql-files.js';
import { formatBytes } from '../util/format.js';
import { runCleanup } from './cleanup.js';
import {
  HEALTH_CHECKS,
  levelOf,
  type CheckThreshold,
  type HealthCheckName,
  type HealthLevel,
  type ResolvedThresholds,
} from './health-thresholds.js';
import type { Database } from '../db/database.js';

/** One finding: a check's level about one subject, the number behind it, the thresholds and what to do. */
export interface HealthFinding {
  check: HealthCheckName;
  /** What it is about: a table, an index, a session, the database, or the set judged. */
  subject: string;
  /** SKIPPED: the engine has no such statistic (PGlite), or the check could not run. */
  level: HealthLevel | 'SKIPPED';
  /** The number judged (in `unit`); null when there is none (skipped, not judged). */
  value: number | null;
  unit: string;
  /** The thresholds the number was judged against (null: that level is off). */
  threshold: { warn: number | null; crit: number | null; direction: 'above' | 'below'; min?: number };
  /** What was found, in one sentence. */
  message: string;
  /** What to do about it; null when nothing is to be done. */
  action: string | null;
  /** The number is an estimate (bloat). */
  estimate?: boolean;
}

/** A table's size and rows (the statistics system's count), for the report and the snapshot. */
export interface TableSize {
  schema: string;
  table: string;
  bytes: number;
  rows: number;
}

/** What the checks share: the database, the thresholds and what is read once. */
export interface CheckContext {
  db: Database;
  engine: Engine;
  thresholds: ResolvedThresholds;
  schemas: readonly string[];
  tables: readonly TableStatsRow[];
  database: DatabaseRow;
  /** The database is a cluster's proxy: it holds no rows, so nothing waits for the clean-up there. */
  proxy: boolean;
}

/** One row of table-stats.sql. */
export interface TableStatsRow {
  schema_name: string;
  table_name: string;
  live_tuples: number;
  dead_tuples: number;
  mods_since_analyze: number;
  vacuum_age_s: number | null;
  analyze_age_s: number | null;
  autovacuum_enabled: boolean;
  total_bytes: number;
}

/** The row of database.sql. */
export interface DatabaseRow {
  database_name: string;
  database_bytes: number;
  xid_age: number;
  blks_hit: number | null;
  blks_read: number | null;
  stats_reset_age_s: number | null;
  connections: number;
  max_connections: number;
  server_version: string;
}

const EMBEDDED = 'skipped: not available on the embedded database';
const XID_LIMIT = 2 ** 31;

async function rows<Row>(db: Queryable, file: string, params: readonly unknown[] = []): Promise<Row[]> {
  return (await db.query<Row>(sqlFile(`operations/health/${file}`), params)).rows;
}

/** A finding of `check` with its thresholds filled in. */
function finding(
  ctx: CheckContext,
  check: HealthCheckName,
  fields: Omit<HealthFinding, 'check' | 'unit' | 'threshold'> & { unit?: string },
): HealthFinding {
  const spec = HEALTH_CHECKS[check];
  const t: CheckThreshold = ctx.thresholds[check];
  const { subject, level, value, unit, message, action, estimate } = fields;
  return {
    check,
    subject,
    level,
    value,
    unit: unit ?? spec.unit,
    threshold: { warn: t.warn, crit: t.crit, direction: spec.direction, ...(t.min === undefined ? {} : { min: t.min }) },
    message,
    action,
    ...(estimate ? { estimate } : {}),
  };
}

function judge(ctx: CheckContext, check: HealthCheckName, value: number): HealthLevel {
  const spec = HEALTH_CHECKS[check];
  const level = levelOf(value, ctx.thresholds[check], spec.direction);
  return spec.warnAtMost && level === 'CRIT' ? 'WARN' : level;
}

function skipped(ctx: CheckContext, check: HealthCheckName, message = EMBEDDED): HealthFinding {
  return finding(ctx, check, { subject: 'database', level: 'SKIPPED', value: null, message, action: null });
}

/** 12.3 → "12.3", 0.004 → "0.004": a number as people read it. */
function num(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Number(value.toPrecision(3)).toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function age(seconds: number | null): string {
  if (seconds === null) return 'never';
  if (seconds < 120) return `${Math.round(seconds)} s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

const qualified = (schema: string, name: string) => `${schema}.${name}`;
const quoteIdent = (name: string) => (/^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);
const sqlName = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * Per-object findings for those over a threshold, or one OK finding for the
 * whole set (its number the worst judged, so the snapshot keeps a trend).
 */
function perObject<T>(
  ctx: CheckContext,
  check: HealthCheckName,
  items: readonly T[],
  measure: (item: T) => number,
  describe: (item: T, level: HealthLevel, value: number) => Omit<HealthFinding, 'check' | 'unit' | 'threshold' | 'level' | 'value'>,
  allOk: (worst: number | null) => Omit<HealthFinding, 'check' | 'unit' | 'threshold' | 'level' | 'value'>,
  estimate = false,
): HealthFinding[] {
  const judged = items.map((item) => ({ item, value: measure(item) })).map((j) => ({ ...j, level: judge(ctx, check, j.value) }));
  const bad = judged.filter((j) => j.level !== 'OK');
  const extra = estimate ? { estimate: true } : {};
  if (bad.length > 0)
    return bad.map((j) => finding(ctx, check, { level: j.level, value: round(j.value), ...describe(j.item, j.level, j.value), ...extra }));
  const spec = HEALTH_CHECKS[check];
  const worst =
    judged.length === 0
      ? null
      : judged.reduce((w, j) => (spec.direction === 'above' ? Math.max(w, j.value) : Math.min(w, j.value)), judged[0]!.value);
  return [finding(ctx, check, { level: 'OK', value: worst === null ? null : round(worst), ...allOk(worst), ...extra })];
}

/** Why nothing cleaned up after the table: the embedded database runs no autovacuum; a table may have it turned off. */
function autovacuumNote(ctx: CheckContext, t: TableStatsRow): string {
  if (ctx.engine === 'pglite') return '; the embedded database runs no autovacuum';
  return t.autovacuum_enabled ? '' : '; autovacuum is off for this table';
}

const round = (value: number) => Number(value.toFixed(value >= 100 ? 0 : 2));

function deadTuples(ctx: CheckContext): HealthFinding[] {
  const min = ctx.thresholds['dead-tuples'].min ?? 0;
  const judged = ctx.tables.filter((t) => t.dead_tuples >= min && t.dead_tuples > 0);
  return perObject(
    ctx,
    'dead-tuples',
    judged,
    (t) => (100 * t.dead_tuples) / (t.live_tuples + t.dead_tuples),
    (t) => ({
      subject: qualified(t.schema_name, t.table_name),
      message: `${num(t.dead_tuples)} dead rows beside ${num(t.live_tuples)} live ones; last vacuumed ${age(t.vacuum_age_s)}${autovacuumNote(ctx, t)}`,
      action: `VACUUM (VERBOSE, ANALYZE) ${sqlName(t.schema_name, t.table_name)}${t.autovacuum_enabled ? '' : `, and ALTER TABLE ${sqlName(t.schema_name, t.table_name)} RESET (autovacuum_enabled) so that autovacuum keeps up`}`,
    }),
    () => ({
      subject: `${ctx.tables.length} tables`,
      message:
        judged.length === 0
          ? `no table has ${num(min)} dead rows or more`
          : `${judged.length} table(s) with ${num(min)}+ dead rows judged; none over the limit`,
      action: null,
    }),
  );
}

function staleStatistics(ctx: CheckContext): HealthFinding[] {
  const min = ctx.thresholds['stale-statistics'].min ?? 0;
  const judged = ctx.tables.filter((t) => t.mods_since_analyze >= min && t.mods_since_analyze > 0);
  return perObject(
    ctx,
    'stale-statistics',
    judged,
    (t) => (100 * t.mods_since_analyze) / Math.max(t.live_tuples, 1),
    (t) => ({
      subject: qualified(t.schema_name, t.table_name),
      message: `${num(t.mods_since_analyze)} rows modified since the last ANALYZE (${age(t.analyze_age_s)}), against ${num(t.live_tuples)} live rows: the planner works from stale statistics${autovacuumNote(ctx, t)}`,
      action: `ANALYZE (VERBOSE) ${sqlName(t.schema_name, t.table_name)} (what \`maintain --apply\` does for stale tables)`,
    }),
    () => ({
      subject: `${ctx.tables.length} tables`,
      message:
        judged.length === 0
          ? `no table has ${num(min)} or more rows modified since its last ANALYZE`
          : `${judged.length} table(s) with ${num(min)}+ modifications judged; statistics recent enough`,
      action: null,
    }),
  );
}

async function xidAge(ctx: CheckContext): Promise<HealthFinding[]> {
  const pct = (xids: number) => (100 * xids) / XID_LIMIT;
  const dbValue = pct(ctx.database.xid_age);
  const dbLevel = judge(ctx, 'xid-age', dbValue);
  const out = [
    finding(ctx, 'xid-age', {
      subject: `database ${ctx.database.database_name}`,
      level: dbLevel,
      value: round(dbValue),
      message: `the oldest unfrozen transaction id is ${num(ctx.database.xid_age)} transactions old (wraparound at 2^31 = ${num(XID_LIMIT)})`,
      action:
        dbLevel === 'OK'
          ? null
          : 'VACUUM (FREEZE, VERBOSE) the tables named below, after ending long transactions, idle-in-transaction sessions and forgotten prepared transactions (pg_prepared_xacts) that hold the horizon back',
    }),
  ];
  const [oldest] = await rows<{ schema_name: string; table_name: string; xid_age: number }>(ctx.db, 'oldest-relfrozenxid.sql');
  if (oldest) {
    const value = pct(oldest.xid_age);
    const level = judge(ctx, 'xid-age', value);
    out.push(
      finding(ctx, 'xid-age', {
        subject: qualified(oldest.schema_name, oldest.table_name),
        level,
        value: round(value),
        message: `the table with the oldest relfrozenxid: ${num(oldest.xid_age)} transactions`,
        action: level === 'OK' ? null : `VACUUM (FREEZE, VERBOSE) ${sqlName(oldest.schema_name, oldest.table_name)}`,
      }),
    );
  }
  return out;
}

interface IndexRow {
  schema_name: string;
  index_name: string;
  table_name: string;
  leftover: boolean;
  is_unique: boolean;
}

/** A count finding over a list of indexes. */
function indexCount(
  ctx: CheckContext,
  check: HealthCheckName,
  names: readonly string[],
  found: string,
  none: string,
  action: string,
): HealthFinding {
  const level = judge(ctx, check, names.length);
  return finding(ctx, check, {
    subject: names.length === 0 ? 'indexes' : names.join(', '),
    level,
    value: names.length,
    message: names.length === 0 ? none : found,
    action: level === 'OK' && names.length === 0 ? null : action,
  });
}

async function invalidIndexes(ctx: CheckContext): Promise<HealthFinding[]> {
  const all = await rows<IndexRow>(ctx.db, 'invalid-indexes.sql', [ctx.schemas]);
  const invalid = all.filter((r) => !r.leftover);
  const leftovers = all.filter((r) => r.leftover);
  const names = (list: IndexRow[]) => list.map((r) => qualified(r.schema_name, r.index_name));
  return [
    indexCount(
      ctx,
      'invalid-indexes',
      names(invalid),
      `${invalid.length} invalid index(es): maintained on every write, never used by the planner${invalid.some((r) => r.is_unique) ? ' (a unique one still refuses duplicates)' : ''}`,
      'no invalid index',
      `${invalid.map((r) => `REINDEX INDEX CONCURRENTLY ${sqlName(r.schema_name, r.index_name)}`).join('; ')} (what \`maintain --apply\` will do), or DROP INDEX CONCURRENTLY if its creation failed on purpose`,
    ),
    indexCount(
      ctx,
      'reindex-leftovers',
      names(leftovers),
      `${leftovers.length} leftover(s) of an interrupted REINDEX CONCURRENTLY (named *_ccnew / *_ccold)`,
      'no leftover of an interrupted REINDEX CONCURRENTLY',
      `${leftovers.map((r) => `DROP INDEX CONCURRENTLY ${sqlName(r.schema_name, r.index_name)}`).join('; ')} (the original index is intact), then run the REINDEX again`,
    ),
  ];
}

async function duplicateIndexes(ctx: CheckContext): Promise<HealthFinding[]> {
  const sets = await rows<{ schema_name: string; table_name: string; index_names: string[]; backs_constraint: boolean[] }>(
    ctx.db,
    'duplicate-indexes.sql',
    [ctx.schemas],
  );
  // In each set, keep the one a constraint uses (else the first by name); the others are redundant.
  const redundant = sets.flatMap((set) => {
    const keep = Math.max(0, set.backs_constraint.indexOf(true));
    return set.index_names
      .map((name, i) => ({ name, i }))
      .filter(({ i }) => i !== keep && !set.backs_constraint[i])
      .map(({ name }) => ({ schema: set.schema_name, name, same: qualified(set.schema_name, set.index_names[keep]!) }));
  });
  return [
    indexCount(
      ctx,
      'duplicate-indexes',
      redundant.map((r) => qualified(r.schema, r.name)),
      `${redundant.length} index(es) duplicate another of the same table (same columns, operator classes and predicate): ${redundant.map((r) => `${qualified(r.schema, r.name)} = ${r.same}`).join(', ')}`,
      'no duplicate index',
      redundant.map((r) => `DROP INDEX CONCURRENTLY ${sqlName(r.schema, r.name)}`).join('; '),
    ),
  ];
}

async function unusedIndexes(ctx: CheckContext): Promise<HealthFinding[]> {
  const min = ctx.thresholds['unused-indexes'].min ?? 0;
  const unused = await rows<{ schema_name: string; index_name: string; table_name: string; table_writes: number; index_bytes: number }>(
    ctx.db,
    'unused-indexes.sql',
    [ctx.schemas, min],
  );
  const since =
    ctx.database.stats_reset_age_s === null
      ? 'since the statistics began'
      : `since the statistics were reset ${age(ctx.database.stats_reset_age_s)}`;
  const bytes = unused.reduce((sum, r) => sum + r.index_bytes, 0);
  return [
    indexCount(
      ctx,
      'unused-indexes',
      unused.map((r) => qualified(r.schema_name, r.index_name)),
      `${unused.length} candidate(s) to drop: never scanned ${since} while their tables took ${num(min)}+ writes (${formatBytes(bytes)} in all)`,
      `no index unused ${since} on a table with ${num(min)}+ writes (primary keys and unique indexes are never candidates)`,
      `confirm with the application's queries (and a standby's statistics, if it serves reads), then ${unused.map((r) => `DROP INDEX CONCURRENTLY ${sqlName(r.schema_name, r.index_name)}`).join('; ')}`,
    ),
  ];
}

interface BloatRow {
  schema_name: string;
  table_name: string;
  index_name?: string;
  real_bytes: number;
  bloat_bytes: number;
  bloat_pct: number;
  is_na: boolean;
}

async function bloat(ctx: CheckContext, check: 'table-bloat' | 'index-bloat'): Promise<HealthFinding[]> {
  const minBytes = (ctx.thresholds[check].min ?? 0) * 1024 * 1024;
  const all = await rows<BloatRow>(ctx.db, check === 'table-bloat' ? 'table-bloat.sql' : 'index-bloat.sql', [ctx.schemas]);
  const judged = all.filter((r) => !r.is_na && r.real_bytes >= minBytes && r.real_bytes > 0);
  const what = check === 'table-bloat' ? 'table' : 'index';
  return perObject(
    ctx,
    check,
    judged,
    (r) => r.bloat_pct,
    (r) => {
      const name = r.index_name ?? r.table_name;
      return {
        subject: qualified(r.schema_name, name),
        message: `estimate: ~${formatBytes(r.bloat_bytes)} of ${formatBytes(r.real_bytes)} is free space beyond the fillfactor (from the catalog and pg_stats, not a scan)`,
        action:
          check === 'index-bloat'
            ? `REINDEX INDEX CONCURRENTLY ${sqlName(r.schema_name, name)} (what \`maintain --apply\` will do)`
            : `VACUUM (VERBOSE) ${sqlName(r.schema_name, name)} makes the space reusable; to return it to the OS, pg_repack (VACUUM FULL locks the table out)`,
      };
    },
    (worst) => ({
      subject: `${judged.length} ${what === 'index' ? 'indexes' : 'tables'}`,
      message:
        judged.length === 0
          ? `estimate: no ${what} of ${formatBytes(minBytes)} or more with statistics to judge`
          : `estimate: the most bloated ${what} of ${formatBytes(minBytes)}+ is ~${num(round(worst ?? 0))} % free space`,
      action: null,
    }),
    true,
  );
}

async function sequenceHeadroom(ctx: CheckContext): Promise<HealthFinding[]> {
  const all = await rows<{
    schema_name: string;
    table_name: string;
    column_name: string;
    column_type: string;
    sequence_name: string;
    last_value: number | null;
    max_value: number;
    via_foreign_key: boolean;
  }>(ctx.db, 'sequence-headroom.sql', [ctx.schemas]);
  const used = all.filter((r) => r.last_value !== null && r.max_value > 0);
  return perObject(
    ctx,
    'sequence-headroom',
    used,
    (r) => (100 * r.last_value!) / r.max_value,
    (r) => {
      const column = `${qualified(r.schema_name, r.table_name)}.${r.column_name}`;
      return {
        subject: column,
        message: r.via_foreign_key
          ? `${r.column_type} column referring to a key whose sequence ${r.sequence_name} is at ${num(r.last_value!)} of the ${r.column_type} maximum ${num(r.max_value)}`
          : `${r.column_type} identity fed by ${r.sequence_name}: at ${num(r.last_value!)} of ${num(r.max_value)}`,
        action:
          r.column_type === 'bigint'
            ? `find what consumes ${r.sequence_name} so fast (failed inserts also use values); no wider type exists`
            : `ALTER TABLE ${sqlName(r.schema_name, r.table_name)} ALTER COLUMN ${quoteIdent(r.column_name)} TYPE bigint (rewrites the table: plan a window)`,
      };
    },
    (worst) => ({
      subject: `${all.length} identifiers`,
      message:
        used.length === 0 ? 'no identifier sequence used yet' : `the most used identifier is at ${num(round(worst ?? 0))} % of its range`,
      action: null,
    }),
  );
}

interface ActivityRow {
  pid: number;
  user_name: string | null;
  application_name: string | null;
  state: string;
  running_s: number | null;
  idle_s: number | null;
  xact_s: number | null;
  wait_event_type: string | null;
}

const session = (r: ActivityRow) => `pid ${r.pid} (${r.user_name ?? '?'}${r.application_name ? `, ${r.application_name}` : ''})`;

async function sessions(ctx: CheckContext): Promise<HealthFinding[]> {
  if (ctx.engine === 'pglite') return [skipped(ctx, 'long-queries'), skipped(ctx, 'idle-in-transaction')];
  const all = await rows<ActivityRow>(ctx.db, 'activity.sql');
  const running = all.filter((r) => r.state === 'active' && r.running_s !== null);
  const idle = all.filter((r) => r.state.startsWith('idle in transaction') && r.idle_s !== null);
  return [
    ...perObject(
      ctx,
      'long-queries',
      running,
      (r) => r.running_s!,
      (r) => ({
        subject: session(r),
        message: `a statement running for ${num(Math.round(r.running_s!))} s${r.wait_event_type ? ` (waiting on ${r.wait_event_type})` : ''}`,
        action: `SELECT pg_cancel_backend(${r.pid}) if it should not run that long; a statement_timeout on the role keeps it from happening again`,
      }),
      (worst) => ({
        subject: `${running.length} running`,
        message: running.length === 0 ? 'no other statement running' : `the longest statement has run ${num(Math.round(worst ?? 0))} s`,
        action: null,
      }),
    ),
    ...perObject(
      ctx,
      'idle-in-transaction',
      idle,
      (r) => r.idle_s!,
      (r) => ({
        subject: session(r),
        message: `${r.state} for ${num(Math.round(r.idle_s!))} s (transaction open ${num(Math.round(r.xact_s ?? 0))} s): it holds its locks and keeps VACUUM from removing dead rows`,
        action: `SELECT pg_terminate_backend(${r.pid}); set idle_in_transaction_session_timeout for the application's role`,
      }),
      (worst) => ({
        subject: `${idle.length} idle in transaction`,
        message: idle.length === 0 ? 'no session idle in a transaction' : `the longest idle transaction: ${num(Math.round(worst ?? 0))} s`,
        action: null,
      }),
    ),
  ];
}

function connections(ctx: CheckContext): HealthFinding[] {
  if (ctx.engine === 'pglite') return [skipped(ctx, 'connections')];
  const { connections: used, max_connections: max } = ctx.database;
  const value = (100 * used) / Math.max(max, 1);
  const level = judge(ctx, 'connections', value);
  return [
    finding(ctx, 'connections', {
      subject: 'server',
      level,
      value: round(value),
      message: `${num(used)} client connections of ${num(max)} (max_connections less the superuser reserve)`,
      action:
        level === 'OK'
          ? null
          : 'put a pooler (PgBouncer) in front of the application, or find the client that leaks connections (pg_stat_activity by application_name)',
    }),
  ];
}

function cacheHit(ctx: CheckContext): HealthFinding[] {
  if (ctx.engine === 'pglite') return [skipped(ctx, 'cache-hit')];
  const hit = ctx.database.blks_hit ?? 0;
  const read = ctx.database.blks_read ?? 0;
  const min = ctx.thresholds['cache-hit'].min ?? 0;
  if (hit + read < min || hit + read === 0)
    return [
      finding(ctx, 'cache-hit', {
        subject: `database ${ctx.database.database_name}`,
        level: 'OK',
        value: null,
        message: `not judged: ${num(hit + read)} blocks read so far, under the sample of ${num(min)}`,
        action: null,
      }),
    ];
  const value = (100 * hit) / (hit + read);
  const level = judge(ctx, 'cache-hit', value);
  return [
    finding(ctx, 'cache-hit', {
      subject: `database ${ctx.database.database_name}`,
      level,
      value: round(value),
      message: `${num(hit)} of ${num(hit + read)} block reads found in shared buffers`,
      action:
        level === 'OK'
          ? null
          : "raise shared_buffers (and the machine's memory) or find the statements that read most (pg_stat_statements, shared_blks_read)",
    }),
  ];
}

function databaseSize(ctx: CheckContext, change: string): HealthFinding[] {
  const mb = ctx.database.database_bytes / 1024 / 1024;
  const level = judge(ctx, 'database-size', mb);
  return [
    finding(ctx, 'database-size', {
      subject: `database ${ctx.database.database_name}`,
      level,
      value: round(mb),
      message: `${formatBytes(ctx.database.database_bytes)}${change}`,
      action: level === 'OK' ? null : 'run `ecliptix-persistor cleanup` and check the bloat findings; then plan the disk',
    }),
  ];
}

async function cleanupBacklog(ctx: CheckContext): Promise<HealthFinding[]> {
  if (ctx.proxy) return [skipped(ctx, 'cleanup-backlog', "skipped: the cluster's proxy holds no rows (each partition reports its own)")];
  let report;
  try {
    report = await runCleanup(ctx.db, { dryRun: true });
  } catch (error) {
    if (isPersistorError(error) && error.code === 'LOCK_TIMEOUT')
      return [
        finding(ctx, 'cleanup-backlog', {
          subject: 'retention rules',
          level: 'OK',
          value: null,
          message: 'not counted: a clean-up is running on this database now',
          action: null,
        }),
      ];
    throw error;
  }
  const total = report.rules.reduce((sum, r) => sum + r.matched, 0);
  const level = judge(ctx, 'cleanup-backlog', total);
  const waiting = report.rules.filter((r) => r.matched > 0).map((r) => `${r.table} (${r.rule}) ${num(r.matched)}`);
  return [
    finding(ctx, 'cleanup-backlog', {
      subject: 'retention rules',
      level,
      value: total,
      message: total === 0 ? 'no row waits for the clean-up' : `${num(total)} row(s) wait for the clean-up: ${waiting.join(', ')}`,
      action: total === 0 ? null : 'run `ecliptix-persistor cleanup` (monthly from cron, or now)',
    }),
  ];
}

/** A statement's text as shown: quoted literals and long numbers masked, whitespace folded, cut short. */
export function maskStatement(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, "'?'")
    .replace(/\$([a-zA-Z_]*)\$[\s\S]*?\$\1\$/g, '$$?$$')
    .replace(/\b\d{4,}\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120);
}

async function slowStatements(ctx: CheckContext): Promise<HealthFinding[]> {
  if (ctx.engine === 'pglite') return [skipped(ctx, 'slow-statements')];
  const [installed] = await rows<{ version: string }>(ctx.db, 'statements-installed.sql');
  const info = (message: string) => [
    finding(ctx, 'slow-statements', { subject: 'pg_stat_statements', level: 'OK', value: null, message, action: null }),
  ];
  if (!installed)
    return info(
      'not installed in this database (CREATE EXTENSION pg_stat_statements, with it in shared_preload_libraries, to see the slowest statements)',
    );
  const min = ctx.thresholds['slow-statements'].min ?? 0;
  let top;
  try {
    top = await rows<{ query_id: string; calls: number; mean_ms: number; total_ms: number; query: string }>(
      ctx.db,
      'slowest-statements.sql',
      [min, 5],
    );
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '55000') return info('installed but not loaded: add pg_stat_statements to shared_preload_libraries and restart');
    throw error;
  }
  return perObject(
    ctx,
    'slow-statements',
    top,
    (r) => r.mean_ms,
    (r) => ({
      subject: `queryid ${r.query_id}`,
      message: `${maskStatement(r.query)} — ${num(r.calls)} calls, mean ${num(round(r.mean_ms))} ms, total ${num(Math.round(r.total_ms / 1000))} s`,
      action: 'EXPLAIN (ANALYZE, BUFFERS) the statement with typical values; a missing index or stale statistics are the usual causes',
    }),
    (worst) => ({
      subject: `${top.length} statements`,
      message:
        top.length === 0
          ? `no statement with ${num(min)}+ calls yet`
          : `the slowest statement with ${num(min)}+ calls averages ${num(round(worst ?? 0))} ms`,
      action: null,
    }),
  );
}

/** Each check, by name; `change` is the size's change since the previous snapshot, as text. */
export function checkRunners(change: string): Record<HealthCheckName, (ctx: CheckContext) => HealthFinding[] | Promise<HealthFinding[]>> {
  return {
    'dead-tuples': deadTuples,
    'stale-statistics': staleStatistics,
    'xid-age': xidAge,
    'invalid-indexes': invalidIndexes,
    'reindex-leftovers': () => [], // reported by invalidIndexes (one query)
    'duplicate-indexes': duplicateIndexes,
    'unused-indexes': unusedIndexes,
    'table-bloat': (ctx) => bloat(ctx, 'table-bloat'),
    'index-bloat': (ctx) => bloat(ctx, 'index-bloat'),
    'sequence-headroom': sequenceHeadroom,
    'long-queries': sessions,
    'idle-in-transaction': () => [], // reported by sessions (one query)
    connections,
    'cache-hit': cacheHit,
    'database-size': (ctx) => databaseSize(ctx, change),
    'cleanup-backlog': cleanupBacklog,
    'slow-statements': slowStatements,
  };
}

/** The checks whose runner reports another check's findings too, and so which check a failure of it belongs to. */
export const CHECKS_RUN_WITH: Partial<Record<HealthCheckName, HealthCheckName[]>> = {
  'invalid-indexes': ['reindex-leftovers'],
  'long-queries': ['idle-in-transaction'],
};

/** A check that could not run (a privilege, a missing schema): SKIPPED with the reason; it never stops the others. */
export function failedCheck(ctx: CheckContext, check: HealthCheckName, reason: string): HealthFinding {
  return finding(ctx, check, {
    subject: 'database',
    level: 'SKIPPED',
    value: null,
    message: `skipped: could not run: ${reason}`,
    action: /permission denied/i.test(reason)
      ? 'run health as the database owner (or a role with pg_read_all_stats and access to the schemas)'
      : null,
  });
}

/** Reads the numbers several checks share. */
export async function readShared(db: Queryable, schemas: readonly string[]): Promise<{ tables: TableStatsRow[]; database: DatabaseRow }> {
  void schemas;
  const tables = await rows<TableStatsRow>(db, 'table-stats.sql');
  const [database] = await rows<DatabaseRow>(db, 'database.sql');
  return { tables, database: database! };
}
