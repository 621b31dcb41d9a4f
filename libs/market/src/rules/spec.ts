/**
 * Rule specs: JSON that describes a strategy without code. Each rule type has its own TypeBox
 * schema with defaults; `parseRuleSpec` checks the type first so that an error names the rule
 * and the parameter at fault instead of listing every member of a union.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

const Period = (fallback: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 10_000, default: fallback, description });

export const MaCrossRule = Type.Object(
  {
    type: Type.Literal('ma-cross'),
    fast: Period(10, 'fast moving-average period'),
    slow: Period(50, 'slow moving-average period (> fast)'),
    ma: Type.Union([Type.Literal('sma'), Type.Literal('ema')], { default: 'sma' }),
  },
  { additionalProperties: false, description: 'Long while the fast average is above the slow one, short while below.' },
);

export const RsiReversionRule = Type.Object(
  {
    type: Type.Literal('rsi-reversion'),
    period: Period(14, 'RSI period'),
    enterBelow: Type.Number({ minimum: 0, maximum: 100, default: 30, description: 'go long when RSI falls below' }),
    exitAbove: Type.Number({ minimum: 0, maximum: 100, default: 70, description: 'go flat when RSI rises above' }),
  },
  { additionalProperties: false, description: 'Long after RSI drops below enterBelow, flat after it rises above exitAbove.' },
);

export const BollingerRule = Type.Object(
  {
    type: Type.Literal('bollinger'),
    period: Type.Integer({ minimum: 2, maximum: 10_000, default: 20, description: 'band period' }),
    k: Type.Number({ exclusiveMinimum: 0, maximum: 100, default: 2, description: 'band width in σ' }),
    mode: Type.Union([Type.Literal('breakout'), Type.Literal('reversion')], { default: 'reversion' }),
  },
  {
    additionalProperties: false,
    description: 'breakout: long above the upper band, short below the lower, out at the middle; reversion: the opposite entries, out at the middle.',
  },
);

export const DonchianBreakoutRule = Type.Object(
  {
    type: Type.Literal('donchian-breakout'),
    period: Period(20, 'channel of the previous n bars'),
  },
  { additionalProperties: false, description: 'Long when the close breaks above the previous n-bar high, short when it breaks below the n-bar low.' },
);

export const MacdCrossRule = Type.Object(
  {
    type: Type.Literal('macd-cross'),
    fast: Period(12, 'fast EMA period'),
    slow: Period(26, 'slow EMA period (> fast)'),
    signal: Period(9, 'signal EMA period'),
  },
  { additionalProperties: false, description: 'Long while MACD is above its signal line, short while below.' },
);

export const MomentumRule = Type.Object(
  {
    type: Type.Literal('momentum'),
    period: Period(20, 'rate-of-change period'),
    threshold: Type.Number({ minimum: 0, default: 0, description: 'percent; long above +threshold, short below −threshold' }),
  },
  { additionalProperties: false, description: 'Long while ROC exceeds the threshold, short while it is below its negative.' },
);

export const SeasonalityRule = Type.Object(
  {
    type: Type.Literal('seasonality'),
    months: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 12 }), { minItems: 1, maxItems: 12, uniqueItems: true, description: 'fixed months to be long in (1 = January)' }),
    ),
    top: Type.Integer({ minimum: 1, maximum: 12, default: 6, description: 'without months: be long in the top n months by past mean return' }),
    minYears: Type.Integer({ minimum: 1, maximum: 100, default: 3, description: 'years of history required before trading' }),
  },
  { additionalProperties: false, description: 'Long in historically strong calendar months, ranked on data before each month only.' },
);

export type MaCross = Static<typeof MaCrossRule>;
export type RsiReversion = Static<typeof RsiReversionRule>;
export type Bollinger = Static<typeof BollingerRule>;
export type DonchianBreakout = Static<typeof DonchianBreakoutRule>;
export type MacdCross = Static<typeof MacdCrossRule>;
export type Momentum = Static<typeof MomentumRule>;
export type Seasonality = Static<typeof SeasonalityRule>;
export type LeafRule = MaCross | RsiReversion | Bollinger | DonchianBreakout | MacdCross | Momentum | Seasonality;

/** all: a side only when every leg agrees; any: a side when at least one leg takes it and none takes the other. */
export interface Combinator {
  type: 'all' | 'any';
  rules: RuleSpec[];
}

export type RuleSpec = LeafRule | Combinator;

const leafSchemas: Record<LeafRule['type'], TSchema> = {
  'ma-cross': MaCrossRule,
  'rsi-reversion': RsiReversionRule,
  bollinger: BollingerRule,
  'donchian-breakout': DonchianBreakoutRule,
  'macd-cross': MacdCrossRule,
  momentum: MomentumRule,
  seasonality: SeasonalityRule,
};

export const ruleTypes: readonly string[] = [...Object.keys(leafSchemas), 'all', 'any'];

/** For OpenAPI: a rule spec is one of the leaves or a combinator over rule specs. */
export const RuleSpecSchema = Type.Union(
  [
    ...Object.values(leafSchemas),
    Type.Object(
      { type: Type.Union([Type.Literal('all'), Type.Literal('any')]), rules: Type.Array(Type.Object({}, { additionalProperties: true }), { minItems: 1, maxItems: 16 }) },
      { additionalProperties: false },
    ),
  ],
  { description: `A rule spec: type is one of ${ruleTypes.join(', ')}` },
);

const compiled = new Map(Object.entries(leafSchemas).map(([type, schema]) => [type, Compile(schema)]));

export interface RuleProblem {
  path: string;
  message: string;
}

export class RuleSpecError extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super(problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; '));
    this.name = 'RuleSpecError';
  }
}

const MAX_DEPTH = 4;

/** Validates and fills defaults. Throws RuleSpecError listing every problem with its JSON path. */
export function parseRuleSpec(input: unknown): RuleSpec {
  const problems: RuleProblem[] = [];
  const spec = parseAt(input, '', 0, problems);
  if (problems.length > 0 || spec === undefined) throw new RuleSpecError(problems);
  return spec;
}

function parseAt(input: unknown, path: string, depth: number, problems: RuleProblem[]): RuleSpec | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push({ path, message: 'a rule must be an object with a "type"' });
    return undefined;
  }
  const type = (input as { type?: unknown }).type;
  if (type === 'all' || type === 'any') {
    const rules = (input as { rules?: unknown }).rules;
    const extra = Object.keys(input).filter((key) => key !== 'type' && key !== 'rules');
    for (const key of extra) problems.push({ path: `${path}/${key}`, message: `unknown property; ${type} takes only "rules"` });
    if (depth >= MAX_DEPTH) {
      problems.push({ path, message: `rules nest at most ${MAX_DEPTH} levels deep` });
      return undefined;
    }
    if (!Array.isArray(rules) || rules.length === 0 || rules.length > 16) {
      problems.push({ path: `${path}/rules`, message: 'must be an array of 1 to 16 rules' });
      return undefined;
    }
    const parsed = rules.map((rule, i) => parseAt(rule, `${path}/rules/${i}`, depth + 1, problems));
    return parsed.every((rule): rule is RuleSpec => rule !== undefined) ? { type, rules: parsed } : undefined;
  }
  const check = typeof type === 'string' ? compiled.get(type) : undefined;
  if (!check) {
    problems.push({ path: `${path}/type`, message: `unknown rule ${JSON.stringify(type)}; valid: ${ruleTypes.join(', ')}` });
    return undefined;
  }
  const withDefaults = Value.Default(leafSchemas[type as LeafRule['type']], structuredClone(input));
  if (!check.Check(withDefaults)) {
    for (const error of check.Errors(withDefaults)) problems.push({ path: `${path}${error.instancePath}`, message: error.message });
    return undefined;
  }
  const leaf = withDefaults as LeafRule;
  if ((leaf.type === 'ma-cross' || leaf.type === 'macd-cross') && leaf.fast >= leaf.slow) {
    problems.push({ path: `${path}/fast`, message: `must be less than slow (${leaf.slow})` });
  }
  if (leaf.type === 'rsi-reversion' && leaf.enterBelow >= leaf.exitAbove) {
    problems.push({ path: `${path}/enterBelow`, message: `must be below exitAbove (${leaf.exitAbove})` });
  }
  return leaf;
}
