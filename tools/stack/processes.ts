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
  /** Resolves with the first unexpected exit, naming the process. */
  failed: Promise<string>;
  stop(): Promise<void>;
}

/** Starts each process with its logs interleaved, one readable line each, prefixed by its name. */
/** `onLine` sees each raw output line too (tests read the JSON logs). */
export function startProcesses(specs: ProcessSpec[], env: NodeJS.ProcessEnv, options: { onLine?: (name: string, line: string) => void } = {}): RunningStack {
  const tty = process.stdout.isTTY === true;
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  let reportFailure: (message: string) => void = () => undefined;
  const failed = new Promise<string>((resolve) => (reportFailure = resolve));

  for (const spec of specs) {
    const telemetry = join(dirname(spec.script), 'telemetry.js');
    const flags = existsSync(telemetry) ? ['--enable-source-maps', '--import', telemetry] : ['--enable-source-maps'];
    const child = spawn(process.execPath, [...flags, spec.script], { env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.set(spec.name, child);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        options.onLine?.(spec.name, line);
        process.stdout.write(`${formatLine(spec.name, line, tty)}\n`);
      });
    }
    child.once('exit', (code, signal) => {
      children.delete(spec.name);
      if (!stopping) reportFailure(`${spec.name} exited unexpectedly (${signal ?? `code ${code}`})`);
    });
  }

  return {
    failed,
    async stop() {
      stopping = true;
      const exits = [...children.values()].map((child) => new Promise((resolve) => child.once('exit', resolve)));
      for (const child of children.values()) child.kill('SIGTERM');
      const timer = setTimeout(() => {
        for (const child of children.values()) child.kill('SIGKILL');
      }, 15_000);
      await Promise.all(exits);
      clearTimeout(timer);
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
