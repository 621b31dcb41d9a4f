import type { Config } from '@meridian/config';
import { createFlowProducer, createQueue, deterministicJobId, jobDefaults, QUEUES } from '@meridian/queue';
import { type FlowProducer, Job, type Queue } from 'bullmq';
import { isRedisUnavailable, type RedisClient } from '@meridian/cache';
import { HttpProblem } from '@meridian/service';
import { type BatchJobData, type BatchResult, type BatchRule, childId, type SymbolJobData, type SymbolResult } from './payloads.js';
import { failuresOf } from './process.js';
import type { Interval } from '@meridian/db';

export interface JobView {
  id: string;
  kind: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  progress: number;
  counts: { symbols: number; done: number; failed: number; rules: number; events: number };
  errors: { symbol: string; message: string }[];
  failedReason: string | null;
  links: { self: string; events: string; latest: string[] };
}

const STATES: Record<string, JobView['state']> = {
  completed: 'completed',
  failed: 'failed',
  active: 'active',
  'waiting-children': 'active',
};

/** Submitting batches as BullMQ flows (one parent, one child per symbol) and reading their state. */
/** Redis away: 503 with Retry-After (logged once by the cache's breaker, not per request). */
function queueUnavailable(error: unknown): never {
  if (!isRedisUnavailable(error)) throw error;
  const problem = new HttpProblem(503, 'queue-unavailable', `The job queue is unavailable (${(error as Error).message}). Send the same request again shortly.`);
  problem.quiet = true;
  throw problem;
}

export class BatchJobs {
  private readonly batches: Queue<BatchJobData>;
  private readonly symbols: Queue<SymbolJobData>;
  private readonly flows: FlowProducer;

  constructor(private readonly config: Config, connection: RedisClient) {
    this.batches = createQueue<BatchJobData>(config, QUEUES.signalsBatch, connection);
    this.symbols = createQueue<SymbolJobData>(config, QUEUES.signalsSymbol, connection);
    this.flows = createFlowProducer(config, connection);
  }

  /**
   * Queues the batch unless the same tenant already sent the same request: the id is a hash of
   * both, so a resubmission finds the existing job (`created: false`) and nothing runs twice.
   */
  submit(tenant: string, request: { symbols: string[]; rules: BatchRule[]; interval: Interval }): Promise<{ id: string; created: boolean; state: JobView['state'] }> {
    return this.add(tenant, request).catch(queueUnavailable);
  }

  private async add(tenant: string, request: { symbols: string[]; rules: BatchRule[]; interval: Interval }): Promise<{ id: string; created: boolean; state: JobView['state'] }> {
    const symbols = [...new Set(request.symbols)].sort();
    const rules = [...new Map(request.rules.map((rule) => [rule.hash, rule])).values()].sort((a, b) => (a.hash < b.hash ? -1 : 1));
    const id = deterministicJobId('signals', tenant, { symbols, rules: rules.map((rule) => rule.hash), interval: request.interval });
    const existing = await Job.fromId<BatchJobData>(this.batches, id);
    if (existing) return { id, created: false, state: STATES[await existing.getState()] ?? 'waiting' };

    const defaults = jobDefaults(this.config);
    const data: BatchJobData = { tenant, symbols, rules, interval: request.interval };
    await this.flows.add({
      name: QUEUES.signalsBatch,
      queueName: QUEUES.signalsBatch,
      data,
      opts: { ...defaults, jobId: id },
      children: symbols.map((symbol, index) => ({
        name: QUEUES.signalsSymbol,
        queueName: QUEUES.signalsSymbol,
        data: { batchId: id, tenant, symbol, rules, interval: request.interval } satisfies SymbolJobData,
        // A symbol that fails for good is reported in the batch's errors; the others go on.
        opts: { ...defaults, jobId: childId(id, index), ignoreDependencyOnFailure: true },
      })),
    });
    return { id, created: true, state: 'waiting' };
  }

  /** The batch as its owner sees it; undefined for another tenant's job or an unknown id. */
  status(tenant: string, id: string): Promise<JobView | undefined> {
    return this.read(tenant, id).catch(queueUnavailable);
  }

  private async read(tenant: string, id: string): Promise<JobView | undefined> {
    let job = await Job.fromId<BatchJobData, BatchResult>(this.batches, id);
    if (!job || job.data.tenant !== tenant) return undefined;
    const state = STATES[await job.getState()] ?? 'waiting';
    // Finished between the two reads: the job read first has no result or reason yet.
    if ((state === 'completed' && !job.returnvalue) || (state === 'failed' && !job.failedReason)) job = (await Job.fromId<BatchJobData, BatchResult>(this.batches, id)) ?? job;
    const { symbols, rules, interval } = job.data;
    const links = {
      self: `/v1/jobs/${id}`,
      events: `/v1/jobs/${id}/events`,
      latest: rules.map((rule) => `/v1/signals/latest?symbols=${symbols.join(',')}&ruleHash=${rule.hash}&interval=${interval}`),
    };
    const base = { id, kind: QUEUES.signalsBatch, state, failedReason: job.failedReason ?? null, links };
    if (state === 'completed' && job.returnvalue) {
      const { errors, ...counts } = job.returnvalue;
      return { ...base, progress: 100, counts, errors };
    }
    const [values, failures] = await Promise.all([job.getChildrenValues<SymbolResult>(), job.getIgnoredChildrenFailures()]);
    const done = Object.keys(values).length;
    const errors = failuresOf(job.data, failures);
    const events = Object.values(values).reduce((sum, value) => sum + value.events, 0);
    const share = Math.floor(((done + errors.length) / symbols.length) * 100);
    return {
      ...base,
      // 100 is kept for the finished batch: the parent still has to sum its children up.
      progress: state === 'completed' ? 100 : state === 'failed' ? share : Math.min(99, share),
      counts: { symbols: symbols.length, done, failed: errors.length, rules: rules.length, events },
      errors,
    };
  }

  /** Jobs per state in both queues, for GET /metrics. */
  async counts(): Promise<Record<string, Record<string, number>>> {
    const states = ['waiting', 'active', 'delayed', 'waiting-children', 'completed', 'failed'] as const;
    const [batches, symbols] = await Promise.all([this.batches.getJobCounts(...states), this.symbols.getJobCounts(...states)]);
    return { [QUEUES.signalsBatch]: batches, [QUEUES.signalsSymbol]: symbols };
  }

  async close(): Promise<void> {
    await Promise.all([this.batches.close(), this.symbols.close(), this.flows.close()]);
  }
}
