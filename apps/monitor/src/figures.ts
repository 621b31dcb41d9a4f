/**
 * A monitored figure is a name and labels, written like a Prometheus series:
 * `request_p95_seconds{route="GET /v1/signals",service="signals"}`, labels sorted.
 */
export type Labels = Record<string, string>;

export interface Figure {
  name: string;
  labels: Labels;
  value: number;
}

export function figureKey(name: string, labels: Labels = {}): string {
  const pairs = Object.keys(labels).sort().map((key) => `${key}=${JSON.stringify(labels[key])}`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

const KEY = /^([a-z_][a-z0-9_]*)(?:\{(.*)\})?$/;

/** The name and labels of a key; undefined when it is not one figureKey makes. */
export function parseFigureKey(key: string): { name: string; labels: Labels } | undefined {
  const match = KEY.exec(key);
  if (!match) return undefined;
  const labels: Labels = {};
  for (const [, label, value] of (match[2] ?? '').matchAll(/([a-z_]+)=("(?:[^"\\]|\\.)*")/g)) labels[label as string] = JSON.parse(value as string) as string;
  return { name: match[1] as string, labels };
}
