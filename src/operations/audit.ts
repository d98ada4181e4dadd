/**
 * The guide's weekly security review: for a period (default the last 7
 * days), every limit's refused calls against what it let through, sign-in
 * failures and lockouts (and the numbers locked again and again),
 * verification conversion and codes per completed verification by country
 * calling code, the number prefixes with low conversion or a sudden burst
 * (SMS pumping), and the busiest devices. Numbers are masked in the database
 * (calling code and last two digits) before they reach the tool.
 */
import type { Database } from '../db/database.js';
import { sqlFile } from '../sql-files.js';

type Count = number | string;

/** The limits the routines count refusals of, and what each one's attempts are. */
const LIMIT_ATTEMPTS = {
  flows_per_phone: 'flows',
  otps_per_flow: 'codes',
  otp_resend_cooldown: 'codes',
  failed_otp_checks_per_flow: 'checks',
  failed_otp_checks_per_phone: 'checks',
  consecutive_failed_otp_checks: 'checks',
  membership_attempts: 'membership_attempts',
  failed_logins: 'sign_in_attempts',
  login_lockout: 'sign_in_attempts',
  key_releases: 'sign_in_attempts',
} as const;

type AttemptKind = (typeof LIMIT_ATTEMPTS)[keyof typeof LIMIT_ATTEMPTS];

/** One limit over the period: the calls it refused, what it let through, and the share refused. */
export interface LimitReview {
  limit: string;
  /** Refused calls (the routines' own count). */
  hits: number;
  /** What the limit let through in the period (flows started, codes issued, checks, attempts — see `counts`). */
  allowed: number;
  allowedWhat: AttemptKind;
  /** hits / (hits + allowed), in %; null with neither. */
  refusedPct: number | null;
}

/** Conversion of one calling code or prefix. */
export interface ConversionReview {
  /** '+44', or a prefix '+4479'. */
  key: string;
  flowsStarted: number;
  flowsVerified: number;
  codesIssued: number;
  /** flowsVerified / flowsStarted, in %. */
  conversionPct: number;
  /** codesIssued / flowsVerified; null without a verified flow. */
  codesPerVerification: number | null;
}

/** A prefix worth a look: low conversion or a burst, and the numbers behind it. */
export interface SuspiciousPrefix extends ConversionReview {
  reasons: string[];
  /** The busiest day's flows / the mean of the period's other days (days without flows count as 0); null when the other days had none. */
  burstRatio: number | null;
}

/** What {@link runAudit} found. */
export interface AuditReport {
  since: Date;
  until: Date;
  days: number;
  limits: LimitReview[];
  counts: Record<AttemptKind, number> & { failed_sign_ins: number; lockouts: number };
  /** Numbers locked more than once, masked (calling code and last two digits). */
  repeatLocked: { number: string; lockouts: number; lastLockout: Date }[];
  byCallingCode: ConversionReview[];
  /** The prefixes with the most flows (at most 10): conversion and codes per verification. */
  byPrefix: ConversionReview[];
  suspiciousPrefixes: SuspiciousPrefix[];
  busiestDevices: { device: string; flowsStarted: number; flowsVerified: number; numbers: number }[];
  /** What a prefix is judged by. */
  thresholds: AuditThresholds;
}

/** When a prefix is worth a look. */
export interface AuditThresholds {
  /** Digits after the calling code that make a prefix (default 2). */
  prefixDigits: number;
  /** Flows a prefix must have to be judged (default 20). */
  minimumFlows: number;
  /** Conversion under this % is low (default 50). */
  lowConversionPct: number;
  /** A day with this many times the other days' mean is a burst (default 5). */
  burstRatio: number;
}

const DEFAULT_AUDIT_THRESHOLDS: AuditThresholds = { prefixDigits: 2, minimumFlows: 20, lowConversionPct: 50, burstRatio: 5 };
export const DEFAULT_AUDIT_DAYS = 7;
const LIST_LIMIT = 10;

const pct = (part: number, whole: number): number => (whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10);

function conversion(
  key: string,
  rows: readonly { flows_started: Count; flows_verified: Count; codes_issued: Count | null }[],
): ConversionReview {
  const started = rows.reduce((n, r) => n + Number(r.flows_started), 0);
  const verified = rows.reduce((n, r) => n + Number(r.flows_verified), 0);
  const codes = rows.reduce((n, r) => n + Number(r.codes_issued ?? 0), 0);
  return {
    key,
    flowsStarted: started,
    flowsVerified: verified,
    codesIssued: codes,
    conversionPct: pct(verified, started),
    codesPerVerification: verified === 0 ? null : Math.round((100 * codes) / verified) / 100,
  };
}

interface ConversionRow {
  calling_code: string;
  prefix: string;
  day: string;
  flows_started: Count;
  flows_verified: Count;
  codes_issued: Count | null;
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  return groups;
}

/** What one database holds for a review: raw figures, added up across a cluster's partitions before they are judged. */
interface AuditRows {
  counts: AuditReport['counts'];
  hits: Map<string, number>;
  repeatLocked: AuditReport['repeatLocked'];
  conversion: ConversionRow[];
  devices: AuditReport['busiestDevices'];
}

/** The period of a review: the last `days` days by this database's clock. */
export async function auditPeriod(db: Database, days: number): Promise<{ since: Date; until: Date }> {
  return (await db.query<{ since: Date; until: Date }>(sqlFile('operations/audit/period.sql'), [days])).rows[0]!;
}

/** Reads one database's figures since `since` (read-only; as the owner: it reads the limits' own record and calling codes). */
export async function readAuditRows(db: Database, since: Date, prefixDigits: number): Promise<AuditRows> {
  const a = (await db.query<Record<string, Count>>(sqlFile('operations/audit/attempts.sql'), [since])).rows[0]!;
  const hits = (await db.query<{ limit_name: string; hits: Count }>(sqlFile('operations/audit/limit-hits.sql'), [since])).rows;
  const locked = (
    await db.query<{ masked_number: string; lockouts: Count; last_lockout: Date }>(sqlFile('operations/audit/repeat-locked.sql'), [
      since,
      LIST_LIMIT,
    ])
  ).rows;
  const devices = (
    await db.query<{ device: string; flows_started: Count; flows_verified: Count; numbers: Count }>(
      sqlFile('operations/audit/busiest-devices.sql'),
      [since, LIST_LIMIT],
    )
  ).rows;
  return {
    counts: {
      flows: Number(a.flows),
      codes: Number(a.codes),
      checks: Number(a.checks),
      membership_attempts: Number(a.membership_attempts),
      sign_in_attempts: Number(a.sign_in_attempts),
      failed_sign_ins: Number(a.failed_sign_ins),
      lockouts: Number(a.lockouts),
    },
    hits: new Map(hits.map((r) => [r.limit_name, Number(r.hits)])),
    repeatLocked: locked.map((r) => ({ number: r.masked_number, lockouts: Number(r.lockouts), lastLockout: r.last_lockout })),
    conversion: (await db.query<ConversionRow>(sqlFile('operations/audit/conversion.sql'), [since, prefixDigits])).rows,
    devices: devices.map((r) => ({
      device: r.device,
      flowsStarted: Number(r.flows_started),
      flowsVerified: Number(r.flows_verified),
      numbers: Number(r.numbers),
    })),
  };
}

/** The review of one database's rows — or of a cluster's partitions' rows, added up first. */
export function buildAudit(
  parts: readonly AuditRows[],
  period: { since: Date; until: Date },
  days: number,
  overrides: Partial<AuditThresholds> = {},
): AuditReport {
  const thresholds = { ...DEFAULT_AUDIT_THRESHOLDS, ...overrides };
  const counts = { flows: 0, codes: 0, checks: 0, membership_attempts: 0, sign_in_attempts: 0, failed_sign_ins: 0, lockouts: 0 };
  const hits = new Map<string, number>();
  for (const part of parts) {
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] += part.counts[key];
    for (const [limit, n] of part.hits) hits.set(limit, (hits.get(limit) ?? 0) + n);
  }
  const limits = Object.entries(LIMIT_ATTEMPTS).map(([limit, kind]): LimitReview => {
    const refused = hits.get(limit) ?? 0;
    const allowed = counts[kind];
    return {
      limit,
      hits: refused,
      allowed,
      allowedWhat: kind,
      refusedPct: refused + allowed === 0 ? null : pct(refused, refused + allowed),
    };
  });
  // A number lives on one partition: the lists only need merging.
  const repeatLocked = parts
    .flatMap((p) => p.repeatLocked)
    .sort((x, y) => y.lockouts - x.lockouts || y.lastLockout.getTime() - x.lastLockout.getTime())
    .slice(0, LIST_LIMIT);
  const rows = parts.flatMap((p) => p.conversion);
  const byCallingCode = [...groupBy(rows, (r) => r.calling_code)]
    .map(([code, group]) => conversion(code, group))
    .sort((x, y) => y.flowsStarted - x.flowsStarted || x.key.localeCompare(y.key));
  const byPrefix = [...groupBy(rows, (r) => r.prefix)]
    .map(([prefix, group]) => conversion(prefix, group))
    .sort((x, y) => y.flowsStarted - x.flowsStarted || x.key.localeCompare(y.key))
    .slice(0, LIST_LIMIT);
  const suspiciousPrefixes: SuspiciousPrefix[] = [];
  for (const [prefix, group] of groupBy(rows, (r) => r.prefix)) {
    const review = conversion(prefix, group);
    if (review.flowsStarted < thresholds.minimumFlows) continue;
    const perDay = [...groupBy(group, (r) => r.day).values()].map((g) => g.reduce((n, r) => n + Number(r.flows_started), 0));
    const busiest = Math.max(...perDay);
    const otherMean = (review.flowsStarted - busiest) / Math.max(days - 1, 1);
    const burstRatio = otherMean === 0 ? Number.POSITIVE_INFINITY : Math.round((10 * busiest) / otherMean) / 10;
    const reasons: string[] = [];
    if (review.conversionPct < thresholds.lowConversionPct)
      reasons.push(`conversion ${review.conversionPct} % (under ${thresholds.lowConversionPct} %)`);
    if (burstRatio >= thresholds.burstRatio)
      reasons.push(
        Number.isFinite(burstRatio)
          ? `${busiest} flows in one day, ${burstRatio}x the other days' mean`
          : `${busiest} flows in one day, none on the other days`,
      );
    if (reasons.length > 0) suspiciousPrefixes.push({ ...review, reasons, burstRatio: Number.isFinite(burstRatio) ? burstRatio : null });
  }
  suspiciousPrefixes.sort((x, y) => y.flowsStarted - x.flowsStarted || x.key.localeCompare(y.key));
  const devices = new Map<string, AuditReport['busiestDevices'][number]>();
  for (const d of parts.flatMap((p) => p.devices)) {
    const sum = devices.get(d.device) ?? { device: d.device, flowsStarted: 0, flowsVerified: 0, numbers: 0 };
    sum.flowsStarted += d.flowsStarted;
    sum.flowsVerified += d.flowsVerified;
    sum.numbers += d.numbers; // a number lives on one partition: the partitions' sets do not overlap
    devices.set(d.device, sum);
  }
  const busiestDevices = [...devices.values()]
    .sort((x, y) => y.flowsStarted - x.flowsStarted || y.numbers - x.numbers)
    .slice(0, LIST_LIMIT);
  return {
    since: period.since,
    until: period.until,
    days,
    limits,
    counts,
    repeatLocked,
    byCallingCode,
    byPrefix,
    suspiciousPrefixes,
    busiestDevices,
    thresholds,
  };
}

/** Reviews the last `days` days of one database (read-only; run it as the owner, as `health`: it reads the limits' record and the numbers' calling codes). */
export async function runAudit(db: Database, options: { days?: number; thresholds?: Partial<AuditThresholds> } = {}): Promise<AuditReport> {
  const days = options.days ?? DEFAULT_AUDIT_DAYS;
  const thresholds = { ...DEFAULT_AUDIT_THRESHOLDS, ...options.thresholds };
  const period = await auditPeriod(db, days);
  return buildAudit([await readAuditRows(db, period.since, thresholds.prefixDigits)], period, days, thresholds);
}
