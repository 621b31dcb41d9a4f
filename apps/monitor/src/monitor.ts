import type { Config } from '@meridian/config';
import type { Pools } from '@meridian/db';
import type { FastifyBaseLogger } from 'fastify';
import type { RedisClient } from '@meridian/cache';
import { type Alert, AlertEngine } from './alerts/engine.js';
import type { AlertRule } from './alerts/rules.js';
import { AlertStore } from './alerts/store.js';
import { postAlert } from './alerts/webhook.js';
import { deriveFigures } from './collect/derive.js';
import type { QueueWatch } from './collect/queues.js';
import { type Scrape, scrape } from './collect/scrape.js';
import { postgresFigures, redisFigures } from './collect/stores.js';
import { type Figure, figureKey } from './figures.js';
import { History } from './history.js';
import { overviewOf, type Overview } from './overview.js';

/** Rates and quantiles are taken over about this much of the past. */
const RATE_WINDOW_MS = 60_000;

export interface TargetState {
  name: string;
  url: string;
  up: boolean;
  lastSeen: number | null;
  error: string | null;
}

export interface MonitorDeps {
  config: Config;
  db: Pools;
  redis: RedisClient;
  queues: QueueWatch;
  rules: readonly AlertRule[];
  log: FastifyBaseLogger;
}

/**
 * Scrapes every target on an interval, derives the figures, keeps their history, evaluates the
 * alert rules and tells subscribers (the SSE stream) after each round.
 */
export class Monitor {
  readonly history: History;
  readonly engine: AlertEngine;
  readonly alerts: AlertStore;
  private readonly scrapes = new Map<string, Scrape[]>();
  private readonly targets = new Map<string, TargetState>();
  private figures: Figure[] = [];
  private last: Overview | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly listeners = new Set<(overview: Overview) => void>();

  constructor(private readonly deps: MonitorDeps) {
    this.history = new History(deps.db);
    this.engine = new AlertEngine(deps.rules);
    this.alerts = new AlertStore(deps.db);
    for (const [name, url] of Object.entries(deps.config.monitor.targets)) this.targets.set(name, { name, url, up: false, lastSeen: null, error: 'not scraped yet' });
  }

  start(): void {
    const every = this.deps.config.monitor.scrapeIntervalMs;
    const loop = () => {
      this.timer = setTimeout(() => {
        this.running = this.tick()
          .catch((error: Error) => this.deps.log.warn({ err: error.message }, 'monitor round failed'))
          .finally(loop);
      }, every);
    };
    this.running = this.tick().catch((error: Error) => this.deps.log.warn({ err: error.message }, 'monitor round failed')).finally(loop);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    clearTimeout(this.timer);
  }

  /** One round: scrape, derive, record, alert, publish. */
  async tick(now = Date.now()): Promise<Overview> {
    const { config } = this.deps;
    const timeout = Math.max(500, Math.min(config.monitor.scrapeIntervalMs, 5_000));
    const rounds = await Promise.all([...this.targets.values()].map((target) => scrape(target.name, target.url, config.metricsToken, timeout)));
    const figures: Figure[] = [];
    for (const round of rounds) {
      const target = this.targets.get(round.target) as TargetState;
      target.up = round.up;
      target.error = round.error ?? null;
      if (round.up) target.lastSeen = round.at;
      const past = (this.scrapes.get(round.target) ?? []).filter((s) => s.at >= round.at - RATE_WINDOW_MS - config.monitor.scrapeIntervalMs);
      const base = past.find((s) => s.samples.length > 0);
      figures.push(...deriveFigures(round, base));
      this.scrapes.set(round.target, [...past, round]);
    }
    const [queues, redis, postgres] = await Promise.all([
      this.deps.queues.figures(now).catch(() => []),
      redisFigures(this.deps.redis).catch(() => []),
      postgresFigures(this.deps.db).catch(() => []),
    ]);
    figures.push(...queues, ...redis, ...postgres);
    this.figures = figures;
    this.history.record(figures, now);
    const transitions = this.engine.evaluate(figures, now, (key, since) => this.history.points(key, since));
    await Promise.all(transitions.map((alert) => this.publish(alert)));
    await this.history.flush(now).catch((error: Error) => this.deps.log.warn({ err: error.message }, 'monitor history not written'));
    this.last = overviewOf(now, [...this.targets.values()], figures, this.engine.firing(), this.engine.trends());
    for (const listener of this.listeners) listener(this.last);
    return this.last;
  }

  private async publish(alert: Alert): Promise<void> {
    this.deps.log.warn({ alert: alert.rule, labels: alert.labels, severity: alert.severity, status: alert.status, value: alert.value }, `alert ${alert.status}: ${alert.summary}`);
    await this.alerts.record(alert).catch((error: Error) => this.deps.log.error({ err: error.message }, 'alert not stored'));
    const { webhookUrl } = this.deps.config.monitor;
    if (webhookUrl) await postAlert(webhookUrl, alert, this.deps.config.upstreams.gateway).catch((error: Error) => this.deps.log.warn({ err: error.message, webhookUrl }, 'alert webhook failed'));
  }

  /** The latest overview (after the first round). */
  overview(): Overview | undefined {
    return this.last;
  }

  /** The figures of the latest round. */
  latest(): Figure[] {
    return this.figures;
  }

  subscribe(listener: (overview: Overview) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The history of every series of a figure name (or one exact key) over `windowMs`. */
  async series(name: string, windowMs: number, now = Date.now()): Promise<{ key: string; points: { t: number; v: number }[] }[]> {
    const keys = this.history.keys(name.includes('{') ? name.slice(0, name.indexOf('{')) : name).filter((key) => !name.includes('{') || key === name);
    const since = now - windowMs;
    const fromMemory = windowMs <= 3_600_000;
    return Promise.all(keys.map(async (key) => ({ key, points: fromMemory ? this.history.points(key, since) : await this.history.stored(key, since) })));
  }
}

export { figureKey };
