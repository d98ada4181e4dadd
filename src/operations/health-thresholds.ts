/**
 * The checks of `health`, each with its unit, the direction in which it gets
 * worse and its default thresholds; and the overrides an operator gives
 * (`--threshold dead-tuples.warn=30`, or `{ 'dead-tuples': { warn: 30 } }`
 * programmatically), validated before anything is opened.
 */
import { PersistorError } from '../errors.js';

/** A finding's level; the worst one decides the exit code. */
export type HealthLevel = 'OK' | 'WARN' | 'CRIT';

/** The checks, in the order the report lists them. */
export const HEALTH_CHECK_NAMES = [
  'dead-tuples',
  'stale-statistics',
  'xid-age',
  'invalid-indexes',
  'reindex-leftovers',
  'duplicate-indexes',
  'unused-indexes',
  'table-bloat',
  'index-bloat',
  'sequence-headroom',
  'long-queries',
  'idle-in-transaction',
  'connections',
  'cache-hit',
  'database-size',
  'cleanup-backlog',
  'slow-statements',
] as const;

/** One check's name. */
export type HealthCheckName = (typeof HEALTH_CHECK_NAMES)[number];

/** One check's limits: `warn` and `crit` (null: never), and `min`, the sample below which it does not judge (for the checks that have one). */
export interface CheckThreshold {
  warn: number | null;
  crit: number | null;
  min?: number;
}

/** What a check measures and its default limits. */
export interface HealthCheckSpec {
  name: HealthCheckName;
  /** The unit of the check's number and of its thresholds. */
  unit: string;
  /** 'above': worse as the number grows (most); 'below': worse as it falls (the cache hit rate). */
  direction: 'above' | 'below';
  defaults: CheckThreshold;
  /** What `min` counts, for the checks that take one. */
  min?: string;
  /** A check that is never worse than WARN (its `crit` cannot be set). */
  warnAtMost?: boolean;
}

/** Every check with its defaults (README and docs/HEALTH.md list the same). */
export const HEALTH_CHECKS: Readonly<Record<HealthCheckName, HealthCheckSpec>> = {
  'dead-tuples': {
    name: 'dead-tuples',
    unit: '%',
    direction: 'above',
    defaults: { warn: 20, crit: 50, min: 1000 },
    min: 'dead rows a table must have to be judged',
  },
  'stale-statistics': {
    name: 'stale-statistics',
    unit: '%',
    direction: 'above',
    defaults: { warn: 20, crit: 100, min: 1000 },
    min: 'rows modified since the last ANALYZE a table must have to be judged',
  },
  'xid-age': { name: 'xid-age', unit: '% of 2^31', direction: 'above', defaults: { warn: 40, crit: 70 } },
  'invalid-indexes': { name: 'invalid-indexes', unit: 'indexes', direction: 'above', defaults: { warn: 1, crit: 1 } },
  'reindex-leftovers': { name: 'reindex-leftovers', unit: 'indexes', direction: 'above', defaults: { warn: 1, crit: null } },
  'duplicate-indexes': { name: 'duplicate-indexes', unit: 'indexes', direction: 'above', defaults: { warn: 1, crit: null } },
  'unused-indexes': {
    name: 'unused-indexes',
    unit: 'indexes',
    direction: 'above',
    defaults: { warn: 1, crit: null, min: 10_000 },
    min: "writes (inserts + updates + deletes) an index's table must have taken since the statistics were reset",
    warnAtMost: true,
  },
  'table-bloat': {
    name: 'table-bloat',
    unit: '%',
    direction: 'above',
    defaults: { warn: 50, crit: 80, min: 10 },
    min: 'MB a table must have to be judged',
  },
  'index-bloat': {
    name: 'index-bloat',
    unit: '%',
    direction: 'above',
    defaults: { warn: 50, crit: 80, min: 10 },
    min: 'MB an index must have to be judged',
  },
  'sequence-headroom': { name: 'sequence-headroom', unit: '% used', direction: 'above', defaults: { warn: 75, crit: 90 } },
  'long-queries': { name: 'long-queries', unit: 's', direction: 'above', defaults: { warn: 60, crit: 300 } },
  'idle-in-transaction': { name: 'idle-in-transaction', unit: 's', direction: 'above', defaults: { warn: 60, crit: 300 } },
  connections: { name: 'connections', unit: '% of max_connections', direction: 'above', defaults: { warn: 75, crit: 90 } },
  'cache-hit': {
    name: 'cache-hit',
    unit: '%',
    direction: 'below',
    defaults: { warn: 95, crit: 90, min: 100_000 },
    min: 'blocks read (hit + read) before the rate is judged',
  },
  'database-size': { name: 'database-size', unit: 'MB', direction: 'above', defaults: { warn: null, crit: null } },
  'cleanup-backlog': { name: 'cleanup-backlog', unit: 'rows', direction: 'above', defaults: { warn: 100_000, crit: 10_000_000 } },
  'slow-statements': {
    name: 'slow-statements',
    unit: 'ms (mean)',
    direction: 'above',
    defaults: { warn: 100, crit: 1000, min: 100 },
    min: 'calls a statement must have to be judged',
  },
};

/** Overrides of the defaults, per check; a null `warn` or `crit` turns that level off. */
export type HealthThresholds = Partial<Record<HealthCheckName, Partial<CheckThreshold>>>;

/** The thresholds a run uses: every check's defaults with the overrides applied. */
export type ResolvedThresholds = Readonly<Record<HealthCheckName, CheckThreshold>>;

function isCheckName(name: string): name is HealthCheckName {
  return (HEALTH_CHECK_NAMES as readonly string[]).includes(name);
}

function badThreshold(what: string, why: string): PersistorError {
  return new PersistorError('INVALID_ARGUMENT', `bad threshold ${what}: ${why}`);
}

/**
 * Parses `--threshold` values (`<check>.<warn|crit|min>=<number|off>`, repeatable) into overrides.
 * A malformed one is INVALID_ARGUMENT (exit 2) naming it.
 *
 * @example
 * parseThresholdOverrides(['dead-tuples.warn=30', 'database-size.warn=5000']) // { 'dead-tuples': { warn: 30 }, 'database-size': { warn: 5000 } }
 */
export function parseThresholdOverrides(values: readonly string[]): HealthThresholds {
  const out: Record<string, Partial<CheckThreshold>> = {};
  for (const text of values) {
    const match = /^([a-z-]+)\.([a-z]+)=(.*)$/.exec(text.trim());
    if (!match) throw badThreshold(JSON.stringify(text), 'expected <check>.<warn|crit|min>=<number> (e.g. dead-tuples.warn=30)');
    const [, check, key, raw] = match as unknown as [string, string, string, string];
    if (!isCheckName(check))
      throw badThreshold(JSON.stringify(text), `unknown check "${check}" (one of: ${HEALTH_CHECK_NAMES.join(', ')})`);
    if (key !== 'warn' && key !== 'crit' && key !== 'min')
      throw badThreshold(JSON.stringify(text), `unknown key "${key}" (warn, crit or min)`);
    let value: number | null;
    if (raw === 'off' && key !== 'min') value = null;
    else {
      value = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(value)) throw badThreshold(JSON.stringify(text), `"${raw}" is not a number${key === 'min' ? '' : ' (or off)'}`);
    }
    out[check] = { ...out[check], [key]: value };
  }
  return out as HealthThresholds;
}

/**
 * Every check's thresholds with `overrides` applied, validated: known checks
 * and keys, non-negative numbers, `min` only where a check has one, no `crit`
 * for a check that is WARN at most, and warn before crit in the check's
 * direction. INVALID_ARGUMENT (exit 2) naming the threshold otherwise.
 */
export function resolveThresholds(overrides: HealthThresholds = {}): ResolvedThresholds {
  const resolved = {} as Record<HealthCheckName, CheckThreshold>;
  for (const name of Object.keys(overrides)) {
    if (!isCheckName(name)) throw badThreshold(JSON.stringify(name), `unknown check (one of: ${HEALTH_CHECK_NAMES.join(', ')})`);
  }
  for (const name of HEALTH_CHECK_NAMES) {
    const spec = HEALTH_CHECKS[name];
    const override = overrides[name] ?? {};
    for (const [key, value] of Object.entries(override)) {
      const what = `${name}.${key}`;
      if (key !== 'warn' && key !== 'crit' && key !== 'min') throw badThreshold(what, 'unknown key (warn, crit or min)');
      if (key === 'min' && spec.defaults.min === undefined) throw badThreshold(what, `${name} takes no minimum sample`);
      if (key === 'crit' && spec.warnAtMost && value !== null) throw badThreshold(what, `${name} is WARN at most (it names candidates)`);
      if (value === null && key === 'min') throw badThreshold(what, 'must be a number');
      if (value !== null && (typeof value !== 'number' || !Number.isFinite(value) || value < 0))
        throw badThreshold(what, `must be a number of ${key === 'min' ? (spec.min ?? 'units') : spec.unit}, 0 or more`);
    }
    const t: CheckThreshold = { ...spec.defaults, ...override };
    if (t.warn !== null && t.crit !== null && (spec.direction === 'above' ? t.warn > t.crit : t.warn < t.crit))
      throw badThreshold(
        `${name}.warn=${t.warn}`,
        `the warning level must come before the critical one (${name}.crit=${t.crit}; ${spec.direction === 'above' ? 'higher' : 'lower'} is worse)`,
      );
    resolved[name] = t;
  }
  return resolved;
}

/** The level of `value` against a check's thresholds, in its direction. */
export function levelOf(value: number, threshold: CheckThreshold, direction: 'above' | 'below'): HealthLevel {
  const past = (limit: number | null) => limit !== null && (direction === 'above' ? value >= limit : value < limit);
  if (past(threshold.crit)) return 'CRIT';
  if (past(threshold.warn)) return 'WARN';
  return 'OK';
}

/** The worse of two levels. */
export function worse(a: HealthLevel, b: HealthLevel): HealthLevel {
  const rank: Record<HealthLevel, number> = { OK: 0, WARN: 1, CRIT: 2 };
  return rank[a] >= rank[b] ? a : b;
}
