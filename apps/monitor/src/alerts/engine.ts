import { createHash } from 'node:crypto';
import { type Figure, figureKey, type Labels } from '../figures.js';
import { fitTrend } from '../trends.js';
import type { AlertRule } from './rules.js';

export type Severity = 'warning' | 'critical';

export interface Alert {
  fingerprint: string;
  rule: string;
  labels: Labels;
  severity: Severity;
  status: 'firing' | 'resolved';
  value: number;
  summary: string;
  startsAt: number;
  endsAt: number | null;
  /** A warning raised by the trend before the threshold is crossed. */
  predicted: boolean;
}

export interface Prediction {
  rule: string;
  labels: Labels;
  value: number;
  threshold: number;
  /** The line's value 30 minutes from now. */
  in30m: number;
  /** When the line crosses the warning threshold, if it does. */
  breachAt: number | null;
  r2: number;
}

interface State {
  phase: 'pending' | 'firing';
  since: number;
  alert?: Alert;
}

const HORIZON_MS = 30 * 60_000;
const TREND_WINDOW_MS = 10 * 60_000;
const MIN_R2 = 0.8;

const fingerprintOf = (rule: string, labels: Labels) => createHash('sha256').update(figureKey(rule, labels)).digest('hex').slice(0, 16);
const fill = (template: string, labels: Labels, value: number) =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'value' ? String(Number(value.toPrecision(4))) : (labels[name] ?? name)));

/**
 * Rules over figures, evaluated at each scrape: a figure beyond a threshold for the rule's `for`
 * fires one alert per rule and label set; a critical level raises that alert's severity instead of
 * adding one (a critical silences its own warning); it resolves only once the figure is back
 * inside the warning threshold by the rule's `clear` share, so a figure flapping around a
 * threshold stays one alert. Rules with `predict` also warn when a line fitted over the last ten
 * minutes (at least five of them recorded, R² ≥ 0.8) crosses the warning threshold within thirty
 * minutes.
 */
export class AlertEngine {
  private readonly states = new Map<string, State>();
  private predictions: Prediction[] = [];

  constructor(private readonly rules: readonly AlertRule[]) {}

  private matches(rule: AlertRule, figure: Figure): boolean {
    if (figure.name !== rule.figure) return false;
    if (rule.without?.some((label) => label in figure.labels)) return false;
    return Object.entries(rule.labels ?? {}).every(([k, v]) => figure.labels[k] === v);
  }

  private level(rule: AlertRule, value: number): Severity | undefined {
    const beyond = (threshold: number | undefined) => threshold !== undefined && (rule.direction === 'above' ? value > threshold : value < threshold);
    return beyond(rule.critical) ? 'critical' : beyond(rule.warning) ? 'warning' : undefined;
  }

  private cleared(rule: AlertRule, value: number): boolean {
    const threshold = (rule.warning ?? rule.critical) as number;
    const margin = Math.abs(threshold) * rule.clear;
    return rule.direction === 'above' ? value <= threshold - margin : value >= threshold + margin;
  }

  /** Evaluates every rule; returns the alerts that fired, escalated or resolved now. */
  evaluate(figures: readonly Figure[], now: number, history?: (key: string, sinceMs: number) => { t: number; v: number }[]): Alert[] {
    const transitions: Alert[] = [];
    const seen = new Set<string>();
    this.predictions = [];
    for (const rule of this.rules) {
      for (const figure of figures) {
        if (!this.matches(rule, figure)) continue;
        const key = figureKey(rule.name, figure.labels);
        seen.add(key);
        transitions.push(...this.step(rule, key, figure, now));
        if (rule.predict && history) transitions.push(...this.predict(rule, figure, now, history(figureKey(figure.name, figure.labels), now - TREND_WINDOW_MS)));
      }
    }
    // A pending alert whose figure vanished (its target stopped reporting it) starts over.
    for (const [key, state] of this.states) if (state.phase === 'pending' && !seen.has(key)) this.states.delete(key);
    return transitions;
  }

  private step(rule: AlertRule, key: string, figure: Figure, now: number): Alert[] {
    const level = this.level(rule, figure.value);
    const state = this.states.get(key);
    if (!state) {
      if (level) this.states.set(key, { phase: 'pending', since: now });
      if (level && rule.forMs === 0) return this.step(rule, key, figure, now);
      return [];
    }
    if (state.phase === 'pending') {
      if (!level) {
        this.states.delete(key);
        return [];
      }
      if (now - state.since < rule.forMs) return [];
      const alert: Alert = {
        fingerprint: fingerprintOf(rule.name, figure.labels),
        rule: rule.name,
        labels: figure.labels,
        severity: level,
        status: 'firing',
        value: figure.value,
        summary: fill(rule.summary, figure.labels, figure.value),
        startsAt: now,
        endsAt: null,
        predicted: false,
      };
      this.states.set(key, { phase: 'firing', since: state.since, alert });
      return [alert];
    }
    const alert = state.alert as Alert;
    alert.value = figure.value;
    if (level === 'critical' && alert.severity === 'warning') {
      alert.severity = 'critical';
      alert.summary = fill(rule.summary, figure.labels, figure.value);
      return [{ ...alert }];
    }
    if (!level && this.cleared(rule, figure.value)) {
      this.states.delete(key);
      return [{ ...alert, status: 'resolved', endsAt: now }];
    }
    return [];
  }

  private predict(rule: AlertRule, figure: Figure, now: number, points: { t: number; v: number }[]): Alert[] {
    const key = figureKey(`${rule.name}-will-breach`, figure.labels);
    const state = this.states.get(key);
    const threshold = rule.warning ?? rule.critical;
    // A line through a few seconds (a process starting up) says nothing about the next half hour.
    const spanned = points.length >= 6 && (points.at(-1) as { t: number }).t - (points[0] as { t: number }).t >= TREND_WINDOW_MS / 2;
    const trend = spanned ? fitTrend(points) : undefined;
    const breachAt = trend && threshold !== undefined ? (trend.reaches(threshold, now) ?? null) : null;
    if (trend && threshold !== undefined) {
      this.predictions.push({ rule: rule.name, labels: figure.labels, value: figure.value, threshold, in30m: trend.at(now + HORIZON_MS), breachAt, r2: trend.r2 });
    }
    const already = this.level(rule, figure.value) !== undefined;
    const coming = !already && trend !== undefined && trend.r2 >= MIN_R2 && breachAt !== null && breachAt - now <= HORIZON_MS;
    if (coming && !state) {
      const alert: Alert = {
        fingerprint: fingerprintOf(`${rule.name}-will-breach`, figure.labels),
        rule: `${rule.name}-will-breach`,
        labels: figure.labels,
        severity: 'warning',
        status: 'firing',
        value: figure.value,
        summary: `${fill(rule.summary, figure.labels, figure.value)}; crosses ${threshold} in ${Math.round(((breachAt as number) - now) / 60_000)} min at this rate`,
        startsAt: now,
        endsAt: null,
        predicted: true,
      };
      this.states.set(key, { phase: 'firing', since: now, alert });
      return [alert];
    }
    if (!coming && state?.alert) {
      this.states.delete(key);
      return [{ ...state.alert, status: 'resolved', endsAt: now }];
    }
    return [];
  }

  /** Alerts firing now. */
  firing(): Alert[] {
    return [...this.states.values()].filter((state) => state.phase === 'firing' && state.alert).map((state) => ({ ...(state.alert as Alert) }));
  }

  /** The trend of every figure a `predict` rule watches, from the last evaluation. */
  trends(): Prediction[] {
    return this.predictions;
  }
}
