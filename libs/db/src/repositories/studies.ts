import type pg from 'pg';
import { type RunState, RunStates } from './runs.js';

export type StudyKind = 'sweep' | 'validation';

export interface NewStudy {
  id: string;
  tenant: string;
  kind: StudyKind;
  strategyId: string | null;
  request: Record<string, unknown>;
}

export interface StudyRow extends NewStudy {
  state: RunState;
  runs: number;
  error: string | null;
  result: unknown;
  gates: unknown;
  createdAt: Date;
  finishedAt: Date | null;
}

const COLUMNS = `id, tenant, kind, strategy_id AS "strategyId", request, state, runs, error, result, gates, created_at AS "createdAt", finished_at AS "finishedAt"`;

/** Sweeps and walk-forward validations: a request, its state and one result document. */
export class StudyRepository extends RunStates {
  constructor(write: pg.Pool, read: pg.Pool) {
    super(write, read, 'studies');
  }

  async insert(study: NewStudy): Promise<{ row: StudyRow; created: boolean }> {
    return this.insertOnce<StudyRow>({
      name: 'studies.insert',
      text: `INSERT INTO studies (id, tenant, kind, strategy_id, request) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      values: [study.id, study.tenant, study.kind, study.strategyId, study.request],
    }, () => this.get(study.tenant, study.kind, study.id));
  }

  async get(tenant: string, kind: StudyKind, id: string): Promise<StudyRow | undefined> {
    const { rows } = await this.write.query<StudyRow>({
      name: 'studies.get',
      text: `SELECT ${COLUMNS} FROM studies WHERE tenant = $1 AND kind = $2 AND id = $3`,
      values: [tenant, kind, id],
    });
    return rows[0];
  }

  /** Written once, while the study is queued or running; false when it was cancelled or finished already. */
  async complete(id: string, result: unknown, gates: unknown): Promise<boolean> {
    const { rowCount } = await this.write.query({
      name: 'studies.complete',
      text: `UPDATE studies SET state = 'completed', error = NULL, result = $2, gates = $3, finished_at = now() WHERE id = $1 AND state IN ('queued', 'running')`,
      values: [id, JSON.stringify(result), JSON.stringify(gates ?? null)],
    });
    return rowCount === 1;
  }

  /** The strategy's most recently finished validation: its gate verdicts stand beside the latest backtest's. */
  async latestFinished(tenant: string, strategyId: string, kind: StudyKind): Promise<StudyRow | undefined> {
    const { rows } = await this.read.query<StudyRow>({
      name: 'studies.latest_finished',
      text: `SELECT ${COLUMNS} FROM studies WHERE tenant = $1 AND strategy_id = $2 AND kind = $3 AND state = 'completed' ORDER BY finished_at DESC LIMIT 1`,
      values: [tenant, strategyId, kind],
    });
    return rows[0];
  }
}
