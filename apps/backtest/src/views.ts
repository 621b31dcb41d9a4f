import type { BacktestRow, StudyRow } from '@meridian/db';
import { signLink, type Caller } from '@meridian/service';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** A link the caller's browser can open without the key (see libs/service/src/links.ts). */
export const pageLink = (secret: string, path: string, caller: Caller): string => signLink(secret, path, caller).url;

export function backtestView(row: BacktestRow, progress: number, secret: string, caller: Caller) {
  const self = `/v1/backtests/${row.id}`;
  return {
    id: row.id,
    state: row.state,
    progress: row.state === 'completed' ? 100 : progress,
    strategyId: row.strategyId,
    symbol: row.symbol,
    interval: row.interval,
    request: row.request,
    metrics: row.metrics,
    gates: (row.gates as Record<string, unknown> | null) ?? null,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    links: { self, trades: `${self}/trades`, equity: `${self}/equity`, events: `${self}/events`, report: pageLink(secret, `${self}/report`, caller) },
  };
}
export type BacktestView = ReturnType<typeof backtestView>;

export function studyView(row: StudyRow, progress: number, secret: string, caller: Caller) {
  const self = `/v1/${row.kind === 'sweep' ? 'sweeps' : 'validations'}/${row.id}`;
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    progress: row.state === 'completed' ? 100 : progress,
    strategyId: row.strategyId,
    request: row.request,
    result: (row.result as Record<string, unknown> | null) ?? null,
    gates: (row.gates as Record<string, unknown> | null) ?? null,
    error: row.error,
    createdAt: row.createdAt.toISOString(),
    finishedAt: iso(row.finishedAt),
    links: { self, events: `${self}/events`, report: pageLink(secret, `${self}/report`, caller) },
  };
}
export type StudyView = ReturnType<typeof studyView>;

/** The event that ends a progress stream, once the run is finished. */
export const finalEvent = (view: { state: string }): string | undefined => (['completed', 'failed', 'cancelled'].includes(view.state) ? view.state : undefined);
