import type pg from 'pg';

export interface SignalEventRow {
  ts: number;
  side: 'buy' | 'sell';
  target: number;
  strength: number;
  price: number;
}

/** Events whose instrument or rule is not stored: writing them again cannot succeed. */
export class MissingReferenceError extends Error {
  override name = 'MissingReferenceError';
}

export interface LatestSignalRow extends SignalEventRow {
  instrumentId: number;
}

export class SignalEventRepository {
  constructor(
    private readonly write: pg.Pool,
    private readonly read: pg.Pool,
  ) {}

  async saveRule(ruleHash: string, spec: unknown): Promise<void> {
    await this.write.query({
      name: 'signal_rules.save',
      text: 'INSERT INTO signal_rules (rule_hash, spec) VALUES ($1, $2) ON CONFLICT (rule_hash) DO NOTHING',
      values: [ruleHash, JSON.stringify(spec)],
    });
  }

  /** The specs behind rule hashes; a hash never saved is absent. */
  async rules(hashes: readonly string[]): Promise<Map<string, unknown>> {
    const { rows } = await this.read.query<{ ruleHash: string; spec: unknown }>({
      name: 'signal_rules.get',
      text: 'SELECT rule_hash AS "ruleHash", spec FROM signal_rules WHERE rule_hash = ANY($1::text[])',
      values: [hashes],
    });
    return new Map(rows.map((row) => [row.ruleHash, row.spec]));
  }

  /**
   * Stores the events of one symbol, every rule, in one statement; the same events stored again
   * update in place, so retries and resubmissions never duplicate rows. The instrument and the
   * rules are locked once for the statement, as the foreign keys did once per row (migration
   * 0007); when the instrument or a rule is missing nothing is stored and the error names it.
   */
  async upsert(key: { tenant: string; instrumentId: number; interval: string; jobId: string }, events: readonly (SignalEventRow & { ruleHash: string })[]): Promise<number> {
    if (events.length === 0) return 0;
    // Each distinct rule hash travels once; the events refer to it by its 1-based position.
    const hashes = [...new Set(events.map((e) => e.ruleHash))];
    const position = new Map(hashes.map((hash, i) => [hash, i + 1]));
    const { rows } = await this.write.query<{ stored: number; instrument: boolean; missing: string[] }>({
      name: 'signal_events.upsert',
      text: `WITH instrument AS (SELECT id FROM instruments WHERE id = $1 FOR KEY SHARE),
                  rules AS (SELECT rule_hash FROM signal_rules WHERE rule_hash = ANY($10::text[]) FOR KEY SHARE),
                  stored AS (
                    INSERT INTO signal_events (instrument_id, tenant, rule_hash, interval, ts, side, target, strength, price, job_id)
                    SELECT instrument.id, $11, ($10::text[])[e.r], $2, timestamptz 'epoch' + e.t * interval '1 millisecond', e.s, e.g, e.st, e.p, $3
                    FROM instrument, unnest($4::int2[], $5::float8[], $6::text[], $7::int2[], $8::float8[], $9::float8[]) AS e(r, t, s, g, st, p)
                    WHERE (SELECT count(*) FROM rules) = cardinality($10::text[])
                    ON CONFLICT (instrument_id, tenant, rule_hash, interval, ts) DO UPDATE
                      SET side = EXCLUDED.side, target = EXCLUDED.target, strength = EXCLUDED.strength,
                          price = EXCLUDED.price, job_id = EXCLUDED.job_id, updated_at = now()
                    RETURNING 1)
             SELECT (SELECT count(*) FROM stored)::int AS stored, EXISTS (SELECT 1 FROM instrument) AS instrument,
                    ARRAY(SELECT h FROM unnest($10::text[]) AS h EXCEPT SELECT rule_hash FROM rules) AS missing`,
      values: [
        key.instrumentId, key.interval, key.jobId,
        events.map((e) => position.get(e.ruleHash)), events.map((e) => e.ts), events.map((e) => e.side), events.map((e) => e.target), events.map((e) => e.strength), events.map((e) => e.price),
        hashes,
        key.tenant,
      ],
    });
    const [outcome] = rows;
    if (!outcome?.instrument) throw new MissingReferenceError(`signal_events: instrument ${key.instrumentId} does not exist (deleted while the batch ran?)`);
    if (outcome.missing.length > 0) throw new MissingReferenceError(`signal_events: rules ${outcome.missing.join(', ')} are not in signal_rules; save each rule before its events`);
    return outcome.stored;
  }

  /** The newest event per instrument that the tenant's batches stored for one rule. */
  async latest(tenant: string, instrumentIds: readonly number[], ruleHash: string, interval: string): Promise<LatestSignalRow[]> {
    const { rows } = await this.read.query<LatestSignalRow>({
      name: 'signal_events.latest',
      text: `SELECT DISTINCT ON (instrument_id) instrument_id AS "instrumentId", (extract(epoch FROM ts) * 1000)::float8 AS ts,
                    side, target, strength, price
             FROM signal_events WHERE instrument_id = ANY($1::int[]) AND tenant = $4 AND rule_hash = $2 AND interval = $3
             ORDER BY instrument_id, ts DESC`,
      values: [instrumentIds, ruleHash, interval, tenant],
    });
    return rows;
  }
}
