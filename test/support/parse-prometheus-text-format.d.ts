/** Types for parse-prometheus-text-format (it ships none): prom2json's shape. */
declare module 'parse-prometheus-text-format' {
  export interface ParsedMetricFamily {
    name: string;
    help: string;
    type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
    metrics: { value?: string; labels?: Record<string, string>; timestamp_ms?: string }[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedMetricFamily[];
}
