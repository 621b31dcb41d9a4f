import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { formatLine } from './logs.js';

export interface ProcessSpec {
  name: string;
  script: string;
}

/** Every built entry point: each app's main.js, and its worker.js where the app has one. */
export function builtProcesses(root: string, apps: readonly string[]): ProcessSpec[] {
  const specs: ProcessSpec[] = [];
  for (const app of apps) {
    for (const [entry, name] of [['main.js', app], ['worker.js', `${app}:worker`]] as const) {
      const script = join(root, 'dist/apps', app, entry);
      if (existsSync(script)) specs.push({ name, script });
    }
  }
  return specs;
}

export interface RunningStack {
  /** Resolves with the first unexpected exit (with `restart`, a process that keeps crashing), naming the process. */
  failed: Promise<string>;
  /** The process id of a running process, by name. */
  pid(name: string): number | undefined;
  /** SIGTERM to every process (SIGKILL after 15 s); resolves with each one's exit code, or the signal that ended it. */
  stop(): Promise<Record<string, number | string | null>>;
}

export interface RestartPolicy {
  /** A process that exits this many times within `windowMs` stops the stack. */
  maxRestarts: number;
  windowMs: number;
}

const log = (message: string) => process.stderr.write(`[stack] ${message}\n`);

/**
 * Starts each process with its logs interleaved, one readable line each, prefixed by its name.
 * `onLine` sees each raw output line too (tests read the JSON logs). With `restart`, a process
 * that dies (an OOM kill, a crash) is started again after 1 s, then 2, 4… up to 30 s, and the
 * others keep running; only one that keeps crashing stops the stack.
 */
export function startProcesses(
  specs: ProcessSpec[],
  env: NodeJS.ProcessEnv,
  options: { onLine?: (name: string, line: string) => void; restart?: RestartPolicy; /** Print the processes' lines (default); off, only onLine sees them. */ echo?: boolean } = {},
): RunningStack {
  const tty = process.stdout.isTTY === true;
  const children = new Map<string, ChildProcess>();
  const exits = new Map<string, number[]>();
  const pendingRestarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  let reportFailure: (message: string) => void = () => undefined;
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));

  function launch(spec: ProcessSpec): void {
    const telemetry = join(dirname(spec.script), 'telemetry.js');
    const flags = existsSync(telemetry) ? ['--enable-source-maps', '--import', telemetry] : ['--enable-source-maps'];
    const child = spawn(process.execPath, [...flags, spec.script], { env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(spec.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        options.onLine?.(spec.name, line);
        if (options.echo !== false) process.stdout.write(`${formatLine(spec.name, line, tty)}\n`);
      });
    }
    child.once('exit', (code, signal) => {
      if (children.get(spec.name) === child) children.delete(spec.name);
      if (stopping) return;
      const how = signal ?? `code ${code}`;
      const policy = options.restart;
      if (!policy) return reportFailure(`${spec.name} exited unexpectedly (${how})`);
      const now = Date.now();
      const recent = [...(exits.get(spec.name) ?? []), now].filter((at) => now - at < policy.windowMs);
      exits.set(spec.name, recent);
      if (recent.length > policy.maxRestarts) {
        return reportFailure(`${spec.name} exited ${recent.length} times within ${policy.windowMs / 1000} s (last: ${how}); stopping. Its log above says why`);
      }
      const delay = Math.min(30_000, 1_000 * 2 ** (recent.length - 1));
      log(`${spec.name} exited unexpectedly (${how}); restarting it in ${delay / 1000} s (restart ${recent.length} of at most ${policy.maxRestarts} within ${policy.windowMs / 1000} s)`);
      const timer = setTimeout(() => {
        pendingRestarts.delete(timer);
        if (!stopping) launch(spec);
      }, delay);
      pendingRestarts.add(timer);
    });
  }

  for (const spec of specs) launch(spec);

  return {
    failed,
    pid: (name) => children.get(name)?.pid,
    async stop() {
      stopping = true;
      for (const timer of pendingRestarts) clearTimeout(timer);
      const codes: Record<string, number | string | null> = {};
      const running = [...children.entries()].map(([name, child]) => new Promise<void>((resolve) => child.once('exit', (code, signal) => resolve(void (codes[name] = code ?? signal)))));
      for (const child of children.values()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const child of children.values()) child.kill('SIGKILL');
      }, 15_000);
      await Promise.all(running);
      clearTimeout(timer);
      return codes;
    },
  };
}

/** Waits until each URL answers /health/live, or the deadline passes; asks again every `pollMs`. */
export async function waitLive(urls: string[], timeoutMs: number, pollMs = 200): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(urls);
  while (pending.size > 0 && Date.now() < deadline) {
    for (const url of pending) {
      try {
        if ((await fetch(`${url}/health/live`, { signal: AbortSignal.timeout(500) })).ok) pending.delete(url);
      } catch {
        // not listening yet
      }
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
  return [...pending];
}
