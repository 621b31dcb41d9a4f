import { readFileSync } from 'node:fs';
import defaultRules from '../../alert-rules.json' with { type: 'json' };
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';

const Levels = Type.Object({ warning: Type.Optional(Type.Number()), critical: Type.Optional(Type.Number()) }, { additionalProperties: false });

const RuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9-]+$' }),
    /** The figure's name; the rule watches every label set of it. */
    figure: Type.String(),
    /** Only label sets with these values. */
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    /** Only label sets without these labels (error_ratio without route: the whole service). */
    without: Type.Optional(Type.Array(Type.String())),
    above: Type.Optional(Levels),
    below: Type.Optional(Levels),
    /** How long the figure must stay beyond a threshold before the alert fires: 30s, 2m, 1h. */
    for: Type.String({ pattern: '^\\d+(ms|s|m|h)$' }),
    /** Hysteresis: a firing alert resolves only once the figure is this share of the warning threshold back inside it. */
    clear: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** Also warn when the trend says the figure will cross its warning threshold within 30 minutes. */
    predict: Type.Optional(Type.Boolean()),
    /** `{label}` and `{value}` are filled in. */
    summary: Type.String(),
  },
  { additionalProperties: false },
);
const RulesFile = Type.Object({ version: Type.Literal(1), rules: Type.Array(RuleSchema) }, { additionalProperties: false });

export type RawRule = Static<typeof RuleSchema>;

export interface AlertRule extends Omit<RawRule, 'for' | 'clear'> {
  forMs: number;
  clear: number;
  direction: 'above' | 'below';
  warning: number | undefined;
  critical: number | undefined;
}

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
export const durationMs = (text: string): number => {
  const [, amount, unit] = /^(\d+)(ms|s|m|h)$/.exec(text) as unknown as [string, string, keyof typeof UNIT_MS];
  return Number(amount) * UNIT_MS[unit];
};

const check = Compile(RulesFile);

/** The rules of a rules file, checked; the error names the rule and field at fault. */
export function parseRules(json: unknown, source = 'alert rules'): AlertRule[] {
  if (!check.Check(json)) {
    const [first] = [...check.Errors(json)];
    throw new Error(`${source}: ${first?.instancePath || '/'} ${first?.message ?? 'is invalid'}`);
  }
  return json.rules.map((rule) => {
    const direction = rule.above ? 'above' : 'below';
    const levels = rule.above ?? rule.below;
    if (!levels || (rule.above && rule.below)) throw new Error(`${source}: rule ${rule.name} needs exactly one of above or below`);
    if (levels.warning === undefined && levels.critical === undefined) throw new Error(`${source}: rule ${rule.name} has no threshold`);
    const { for: forText, clear, ...rest } = rule;
    return { ...rest, forMs: durationMs(forText), clear: clear ?? 0.1, direction, warning: levels.warning, critical: levels.critical };
  });
}

/** The rules in `file` (MONITOR_RULES_FILE), or the ones versioned with the monitor (apps/monitor/alert-rules.json, bundled). */
export function loadRules(file?: URL | string): AlertRule[] {
  if (file === undefined) return parseRules(defaultRules as unknown, 'apps/monitor/alert-rules.json');
  return parseRules(JSON.parse(readFileSync(file, 'utf8')) as unknown, String(file));
}
