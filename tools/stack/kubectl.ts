import { spawnSync } from 'node:child_process';
import { aptInstall } from './apt.js';
import { StackError } from './services.js';

const HOW = 'Install it with `sudo apt-get install -y kubernetes-client` (Debian), or point KUBECTL_PATH at a kubectl binary.';

function found(): string | undefined {
  const candidate = process.env.KUBECTL_PATH ?? 'kubectl';
  return spawnSync(candidate, ['version', '--client'], { stdio: 'ignore' }).status === 0 ? candidate : undefined;
}

/** The kubectl the manifest tests render with (its built-in kustomize): KUBECTL_PATH or the one on PATH. */
export function kubectl(): string {
  const binary = found();
  if (!binary) throw new StackError(`The Kubernetes manifest tests need kubectl. ${HOW}`);
  return binary;
}

/** Makes sure the manifest tests have kubectl: installs Debian's kubernetes-client when running as root, else says what to run. */
export function ensureKubectl(log: (message: string) => void): void {
  if (found()) return;
  if (process.env.KUBECTL_PATH || !aptInstall('kubernetes-client', log) || !found()) throw new StackError(`The Kubernetes manifest tests need kubectl. ${HOW}`);
}
