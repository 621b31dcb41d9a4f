import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MissingReferenceError, SignalEventRepository } from '../src/repositories/signal-events.js';
import { createTestDatabase, type TestDatabase } from '../src/testing/index.js';

let db: TestDatabase;
let pool: pg.Pool;
let events: SignalEventRepository;

const event = (ruleHash: string, day: number, side: 'buy' | 'sell' = 'buy') => ({ ruleHash, ts: Date.UTC(2020, 0, day), side, target: side === 'buy' ? 1 : 0, strength: 0.5, price: 100 + day });

async function newInstrument(symbol: string): Promise<number> {
  const { rows } = await pool.query<{ id: number }>("INSERT INTO instruments (symbol, name) VALUES ($1, 'e') RETURNING id", [symbol]);
  return (rows[0] as { id: number }).id;
}

async function stored(instrumentId: number): Promise<{ rule_hash: string; side: string; job_id: string }[]> {
  const { rows } = await pool.query<{ rule_hash: string; side: string; job_id: string }>('SELECT rule_hash, side, job_id FROM signal_events WHERE instrument_id = $1 ORDER BY rule_hash, ts', [instrumentId]);
  return rows;
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 3 });
  events = new SignalEventRepository(pool, pool);
  for (const hash of ['rule-a', 'rule-b']) await events.saveRule(hash, { type: 'ma-cross', hash });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('SignalEventRepository.upsert', () => {
  it('stores every event once; storing them again updates the same rows', async () => {
    const id = await newInstrument('EVA');
    const batch = [event('rule-a', 2), event('rule-a', 3, 'sell'), event('rule-b', 2)];
    expect(await events.upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'job-1' }, batch)).toBe(3);
    expect(await events.upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'job-2' }, batch)).toBe(3);
    expect(await stored(id)).toEqual([
      { rule_hash: 'rule-a', side: 'buy', job_id: 'job-2' },
      { rule_hash: 'rule-a', side: 'sell', job_id: 'job-2' },
      { rule_hash: 'rule-b', side: 'buy', job_id: 'job-2' },
    ]);
  });

  it('refuses events of a rule that was never saved, naming it, and stores none of the batch', async () => {
    const id = await newInstrument('EVB');
    await expect(events.upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'j' }, [event('rule-a', 2), event('rule-unsaved', 2)])).rejects.toThrow(
      'signal_events: rules rule-unsaved are not in signal_rules',
    );
    expect(await stored(id)).toEqual([]);
  });

  it('refuses events of an instrument that does not exist', async () => {
    const upsert = events.upsert({ tenant: 't1', instrumentId: 987_654, interval: '1d', jobId: 'j' }, [event('rule-a', 2)]);
    await expect(upsert).rejects.toThrow('signal_events: instrument 987654 does not exist');
    await expect(upsert).rejects.toBeInstanceOf(MissingReferenceError);
    expect(await stored(987_654)).toEqual([]);
  });
});

describe('what the dropped foreign keys did (migration 0007)', () => {
  it('deleting an instrument deletes its events', async () => {
    const id = await newInstrument('EVC');
    await events.upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'j' }, [event('rule-a', 2), event('rule-b', 3)]);
    await pool.query('DELETE FROM instruments WHERE id = $1', [id]);
    expect(await stored(id)).toEqual([]);
  });

  it('a rule that events refer to cannot be deleted; an unused one can', async () => {
    const id = await newInstrument('EVD');
    await events.saveRule('rule-unused', { type: 'x' });
    await events.upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'j' }, [event('rule-b', 4)]);
    await expect(pool.query("DELETE FROM signal_rules WHERE rule_hash = 'rule-b'")).rejects.toMatchObject({ code: '23503' });
    expect((await pool.query("DELETE FROM signal_rules WHERE rule_hash = 'rule-unused'")).rowCount).toBe(1);
  });

  it('an instrument deleted while its events are being written takes them along: none are left behind', async () => {
    const id = await newInstrument('EVE');
    const writer = await pool.connect();
    try {
      await writer.query('BEGIN');
      // A client inside an open transaction stands in for the pool: it has the same query().
      await new SignalEventRepository(writer as unknown as pg.Pool, pool).upsert({ tenant: 't1', instrumentId: id, interval: '1d', jobId: 'j' }, [event('rule-a', 5)]);
      // The delete waits for the writer's lock on the instrument, then removes what it committed.
      const deleting = pool.query('DELETE FROM instruments WHERE id = $1', [id]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await writer.query('COMMIT');
      expect((await deleting).rowCount).toBe(1);
    } finally {
      writer.release();
    }
    expect(await stored(id)).toEqual([]);
  });
});
