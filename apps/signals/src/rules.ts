import { createHash } from 'node:crypto';
import { parseRuleSpec, RuleSpecError, type RuleSpec } from '@meridian/market';
import { canonicalJson } from '@meridian/queue';
import { HttpProblem } from '@meridian/service';

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

/** Validates a spec (defaults filled), turning problems into a 400 that names each field. */
export function parseRule(input: unknown, at = 'rule'): RuleSpec {
  try {
    return parseRuleSpec(input);
  } catch (error) {
    if (!(error instanceof RuleSpecError)) throw error;
    throw new HttpProblem(400, 'validation', `Invalid rule spec: ${error.message}`, {
      errors: error.problems.map((p) => ({ field: `${at}${p.path.replaceAll('/', '.')}`, message: p.message })),
    });
  }
}

/** `rule=ma-cross&fast=20&slow=50`: the type from `rule`, numbers where the text is a number. */
export function ruleFromQuery(type: string, params: Record<string, unknown>): RuleSpec {
  const spec: Record<string, unknown> = { type };
  for (const [name, raw] of Object.entries(params)) spec[name] = typeof raw === 'string' && NUMBER.test(raw) ? Number(raw) : raw;
  return parseRule(spec, 'query');
}

/** Names a rule in stored events and cache keys: equal specs, equal hashes, whatever the key order. */
export function ruleHash(spec: RuleSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
}
