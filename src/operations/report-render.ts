/**
 * The report as one self-contained HTML file — charts rendered to SVG at
 * report time by Vega-Lite and Vega, inline CSS, no script, and a content
 * security policy that forbids every fetch — or as Markdown tables.
 */
import type { ReportData } from './report.js';

/** A chart of the report: its title and its Vega-Lite specification (data inline). */
interface Chart {
  id: string;
  title: string;
  spec: Record<string, unknown>;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const escapeMarkdown = (text: string): string =>
  text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`);

const percent = (part: number, whole: number): string => (whole === 0 ? '–' : `${((100 * part) / whole).toFixed(1)} %`);

const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';
const BASE = { width: 640, height: 180, config: { font: FONT, view: { stroke: null } } };

/** One line per series over the days, from the named fields of the activity rows. */
function daysChart(data: ReportData, id: string, title: string, series: Record<string, keyof ReportData['activity'][number]>): Chart {
  const values = data.activity.flatMap((day) =>
    Object.entries(series).map(([name, field]) => ({ day: day.day, series: name, count: day[field] })),
  );
  return {
    id,
    title,
    spec: {
      ...BASE,
      data: { values },
      mark: { type: 'line', point: data.activity.length <= 31 },
      encoding: {
        x: {
          field: 'day',
          type: 'temporal',
          timeUnit: 'utcyearmonthdate',
          title: null,
          // One tick a day (every few days for a long period), in UTC like the days themselves.
          axis: { format: '%d %b', tickCount: { interval: 'day', step: Math.max(1, Math.ceil(data.activity.length / 10)) } },
          scale: { type: 'utc' },
        },
        // Whole numbers from 0; an empty period still gets an axis from 0 to 1.
        y: {
          field: 'count',
          type: 'quantitative',
          title: null,
          axis: { format: 'd', tickMinStep: 1 },
          scale: { domain: [0, Math.max(1, ...values.map((v) => Number(v.count)))], nice: true },
        },
        color: { field: 'series', type: 'nominal', title: null, sort: Object.keys(series), legend: { orient: 'top' } },
      },
    },
  };
}

function conversionChart(data: ReportData): Chart {
  const values = data.conversion.map((r) => ({
    region: r.region,
    conversion: r.flowsStarted === 0 ? 0 : r.flowsVerified / r.flowsStarted,
    flows: r.flowsStarted,
  }));
  return {
    id: 'conversion',
    title: 'Verified flows per flow started, by region of the number',
    spec: {
      ...BASE,
      height: Math.max(40, 22 * values.length),
      data: { values },
      mark: 'bar',
      encoding: {
        y: { field: 'region', type: 'nominal', title: null, sort: '-x' },
        x: { field: 'conversion', type: 'quantitative', title: null, axis: { format: '.0%' }, scale: { domain: [0, 1] } },
      },
    },
  };
}

function limitHitsChart(data: ReportData): Chart {
  return {
    id: 'limit-hits',
    title: 'Calls refused by a limit, per day',
    spec: {
      ...BASE,
      data: { values: data.limitHits ?? [] },
      mark: 'bar',
      encoding: {
        // Every day of the period on the axis, so that one day's bar is one day wide.
        x: {
          field: 'day',
          type: 'ordinal',
          title: null,
          scale: { domain: data.activity.map((d) => d.day) },
          axis: { labelAngle: 0, labelExpr: 'slice(datum.value, 5)' },
        },
        y: { field: 'hits', type: 'quantitative', title: null, aggregate: 'sum', axis: { format: 'd', tickMinStep: 1 } },
        color: { field: 'limit', type: 'nominal', title: null, legend: { orient: 'top', columns: 3 } },
      },
    },
  };
}

function healthCharts(data: ReportData): Chart[] {
  const runs = data.health ?? [];
  return [
    {
      id: 'health-levels',
      title: 'Health checks at WARN and CRIT, per health run',
      spec: {
        ...BASE,
        data: {
          values: runs.flatMap((r) => [
            { at: r.takenAt, level: 'WARN', checks: r.levels.WARN },
            { at: r.takenAt, level: 'CRIT', checks: r.levels.CRIT },
          ]),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'at', type: 'temporal', title: null, scale: { type: 'utc' } },
          y: {
            field: 'checks',
            type: 'quantitative',
            title: null,
            axis: { format: 'd', tickMinStep: 1 },
            scale: { domain: [0, Math.max(1, ...runs.map((r) => Math.max(r.levels.WARN, r.levels.CRIT)))], nice: true },
          },
          color: {
            field: 'level',
            type: 'nominal',
            title: null,
            scale: { domain: ['WARN', 'CRIT'], range: ['#d97706', '#b42318'] },
            legend: { orient: 'top' },
          },
        },
      },
    },
    {
      id: 'database-size',
      title: 'Database size at each health run (MB)',
      spec: {
        ...BASE,
        data: { values: runs.map((r) => ({ at: r.takenAt, mb: r.databaseBytes / (1024 * 1024) })) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'at', type: 'temporal', title: null, scale: { type: 'utc' } },
          y: { field: 'mb', type: 'quantitative', title: null, scale: { zero: true } },
        },
      },
    },
  ];
}

function charts(data: ReportData): Chart[] {
  if (data.activity.length === 0) return [];
  const list = [
    daysChart(data, 'verification', 'Verification: flows, codes and members per day', {
      'flows started': 'flowsStarted',
      'flows verified': 'flowsVerified',
      'codes issued': 'codesIssued',
      'members created': 'membershipsCreated',
    }),
    daysChart(data, 'sign-ins', 'Sign-ins, failures and lockouts per day', {
      'sign-ins': 'signIns',
      'failed sign-ins': 'failedSignIns',
      lockouts: 'lockouts',
      'failed code checks': 'failedChecks',
    }),
  ];
  if (data.conversion.length > 0) list.push(conversionChart(data));
  if ((data.limitHits ?? []).length > 0) list.push(limitHitsChart(data));
  if ((data.health ?? []).length > 0) list.push(...healthCharts(data));
  return list;
}

/** SVG of a Vega-Lite specification, by Vega's SVG renderer (no browser, no canvas). */
async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

type Totals = Omit<ReportData['activity'][number], 'day'>;

function totals(data: ReportData): Totals {
  const sum = (field: keyof Totals) => data.activity.reduce((n, day) => n + Number(day[field]), 0);
  return {
    flowsStarted: sum('flowsStarted'),
    flowsVerified: sum('flowsVerified'),
    codesIssued: sum('codesIssued'),
    failedChecks: sum('failedChecks'),
    membershipsCreated: sum('membershipsCreated'),
    signIns: sum('signIns'),
    failedSignIns: sum('failedSignIns'),
    lockouts: sum('lockouts'),
  };
}

function summaryRows(data: ReportData): [string, string][] {
  const t = totals(data);
  return [
    ['Flows started', String(t.flowsStarted)],
    ['Flows verified', `${t.flowsVerified} (${percent(t.flowsVerified, t.flowsStarted)})`],
    ['Codes issued', `${t.codesIssued} (${t.flowsVerified === 0 ? '–' : (t.codesIssued / t.flowsVerified).toFixed(2)} per verified flow)`],
    ['Failed code checks', String(t.failedChecks)],
    ['Members created', String(t.membershipsCreated)],
    ['Sign-ins', String(t.signIns)],
    ['Failed sign-ins', String(t.failedSignIns)],
    ['Lockouts', String(t.lockouts)],
  ];
}

function migrationRows(data: ReportData): [string, string][] {
  const m = data.migrations;
  return [
    ['Up to date', m.upToDate ? 'yes' : 'no'],
    ['Applied migrations', String(m.applied)],
    ['Pending migrations', String(m.pending)],
    ['Newest applied version', m.newestVersion ?? '–'],
    ['Schema complete', m.schemaComplete === null ? '–' : m.schemaComplete ? 'yes' : 'no'],
    ...m.problems.map((problem): [string, string] => ['Problem', problem]),
  ];
}

const STYLE = `
  body { font-family: ${FONT}; color: #1d2330; margin: 2rem auto; max-width: 760px; padding: 0 1rem; }
  h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
  h2 { font-size: 1.1rem; margin-top: 2rem; border-bottom: 1px solid #dde1e8; padding-bottom: 0.3rem; }
  p.meta { color: #5b6473; margin-top: 0; }
  table { border-collapse: collapse; margin: 0.5rem 0; }
  td, th { padding: 0.25rem 0.9rem 0.25rem 0; text-align: left; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  figure { margin: 1rem 0; }
  figcaption { font-weight: 600; margin-bottom: 0.4rem; }
  .bad { color: #b42318; }
`;

function htmlTable(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const cell = (tag: 'td' | 'th', text: string, index: number) => `<${tag}${index > 0 ? ' class="n"' : ''}>${escapeHtml(text)}</${tag}>`;
  const head = header ? `<tr>${header.map((h, i) => cell('th', h, i)).join('')}</tr>` : '';
  return `<table>${head}${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</table>`;
}

function conversionRows(data: ReportData): string[][] {
  return data.conversion.map((r) => [
    r.region,
    String(r.flowsStarted),
    String(r.flowsVerified),
    percent(r.flowsVerified, r.flowsStarted),
    String(r.codesIssued),
  ]);
}
const CONVERSION_HEADER = ['Region', 'Flows', 'Verified', 'Conversion', 'Codes'];

function limitTotals(data: ReportData): string[][] {
  const totals = new Map<string, number>();
  for (const hit of data.limitHits ?? []) totals.set(hit.limit, (totals.get(hit.limit) ?? 0) + hit.hits);
  return [...totals].sort((a, b) => b[1] - a[1]).map(([limit, hits]) => [limit, String(hits)]);
}

function limitsHtml(data: ReportData, chart: string): string {
  if (data.limitHits === null) return '<p>Not recorded by this database, or not readable by this role (ecliptix_internal.limit_hits).</p>';
  if (data.limitHits.length === 0) return '<p>No limit refused a call in the period.</p>';
  return `${chart}\n${htmlTable(limitTotals(data), ['Limit', 'Refused calls'])}`;
}

function healthRows(run: NonNullable<ReportData['health']>[number]): string[][] {
  return run.checks.map((c) => [c.check, c.level, c.value === null ? '–' : String(c.value)]);
}

function healthHtml(data: ReportData, charts: string): string {
  const runs = data.health;
  if (runs === null || runs.length === 0)
    return '<p>No health run in the period: <code>ecliptix-persistor health</code> keeps a snapshot each time it runs (as the owner).</p>';
  const last = runs.at(-1)!;
  return `<p>${runs.length} health run(s) in the period; the last, ${escapeHtml(last.takenAt)}: worst level ${escapeHtml(last.worst)}.</p>
${charts}
${htmlTable(healthRows(last), ['Check', 'Level', 'Value'])}`;
}

/** The report as one HTML file that needs nothing else: no script, no font, no image fetched (its CSP forbids it). */
export async function renderHtml(data: ReportData): Promise<string> {
  const figure: Record<string, string> = {};
  for (const chart of charts(data)) {
    const svg = await renderSvg(chart.spec);
    figure[chart.id] =
      `<figure id="${chart.id}" data-chart="${chart.id}"><figcaption>${escapeHtml(chart.title)}</figcaption>${svg}</figure>`;
  }
  const figures = (...ids: string[]) => ids.flatMap((id) => (figure[id] ? [figure[id]] : [])).join('\n');
  const m = data.migrations;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EcliptixMemberships report, ${escapeHtml(data.generatedAt.slice(0, 10))}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>EcliptixMemberships report</h1>
<p class="meta">${escapeHtml(data.target)} (${data.engine}) · the last ${data.days} days (UTC) · generated ${escapeHtml(data.generatedAt)}</p>
<h2>Activity</h2>
${htmlTable(summaryRows(data))}
${figures('verification', 'sign-ins')}
<h2>Conversion by region</h2>
${figures('conversion')}
${data.conversion.length === 0 ? '<p>No verification flows in the period.</p>' : htmlTable(conversionRows(data), CONVERSION_HEADER)}
<p class="meta">Regions with fewer than ${data.minimumRegionFlows} flows are counted under “other”.</p>
<h2>Limits</h2>
${limitsHtml(data, figures('limit-hits'))}
<h2>Health</h2>
${healthHtml(data, figures('health-levels', 'database-size'))}
<h2>Migrations</h2>
${m.upToDate ? '' : '<p class="bad">The database is not up to date: run <code>ecliptix-persistor migrate</code>.</p>'}
${htmlTable(migrationRows(data))}
</body>
</html>
`;
}

/** The report as Markdown: the same figures as tables, without the charts. */
export function renderMarkdown(data: ReportData): string {
  const table = (header: readonly string[], rows: readonly (readonly string[])[]) =>
    [
      `| ${header.map(escapeMarkdown).join(' | ')} |`,
      `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
      ...rows.map((r) => `| ${r.map(escapeMarkdown).join(' | ')} |`),
    ].join('\n');
  const days = data.activity.map((d) =>
    [
      d.day,
      d.flowsStarted,
      d.flowsVerified,
      d.codesIssued,
      d.failedChecks,
      d.membershipsCreated,
      d.signIns,
      d.failedSignIns,
      d.lockouts,
    ].map(String),
  );
  return [
    '# EcliptixMemberships report',
    '',
    `${escapeMarkdown(data.target)} (${data.engine}) · the last ${data.days} days (UTC) · generated ${data.generatedAt}`,
    '',
    '## Activity',
    '',
    table(['', 'Total'], summaryRows(data)),
    '',
    table(['Day', 'Flows', 'Verified', 'Codes', 'Failed checks', 'Members', 'Sign-ins', 'Failed sign-ins', 'Lockouts'], days),
    '',
    '## Conversion by region',
    '',
    data.conversion.length === 0 ? 'No verification flows in the period.' : table(CONVERSION_HEADER, conversionRows(data)),
    '',
    `Regions with fewer than ${data.minimumRegionFlows} flows are counted under “other”.`,
    '',
    '## Limits',
    '',
    data.limitHits === null
      ? 'Not recorded by this database, or not readable by this role.'
      : data.limitHits.length === 0
        ? 'No limit refused a call in the period.'
        : table(['Limit', 'Refused calls'], limitTotals(data)),
    '',
    '## Health',
    '',
    data.health === null || data.health.length === 0
      ? 'No health run in the period (`ecliptix-persistor health` keeps a snapshot each time it runs).'
      : `${data.health.length} health run(s); the last, ${escapeMarkdown(data.health.at(-1)!.takenAt)}: worst level ${escapeMarkdown(data.health.at(-1)!.worst)}.\n\n${table(['Check', 'Level', 'Value'], healthRows(data.health.at(-1)!))}`,
    '',
    '## Migrations',
    '',
    table(['', ''], migrationRows(data)),
    '',
  ].join('\n');
}
