/**
 * A package-lock.json for one app bundle, cut from the workspace's: the bundle's external
 * packages and everything they need, at the versions and places (hoisted or nested) the
 * workspace resolved, so `npm ci --omit=dev` in the bundle's folder installs exactly what the
 * tests ran against and nothing else.
 */

interface LockEntry {
  version?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  optional?: boolean;
  peer?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

export interface Lockfile {
  name?: string;
  version?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** Where Node (and npm) find `name` from the package at `from`: its own node_modules, then each parent's. */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

function edges(entry: LockEntry): [string, boolean][] {
  const required = Object.keys(entry.dependencies ?? {}).map((name): [string, boolean] => [name, false]);
  const optional = Object.keys(entry.optionalDependencies ?? {}).map((name): [string, boolean] => [name, true]);
  const peers = Object.keys(entry.peerDependencies ?? {}).map((name): [string, boolean] => [name, entry.peerDependenciesMeta?.[name]?.optional === true]);
  return [...required, ...optional, ...peers];
}

export function pruneLockfile(workspace: Lockfile, root: { name: string; version: string; dependencies: Record<string, string> }): Lockfile {
  const packages = workspace.packages;
  // Path → reached only through optional edges so far.
  const kept = new Map<string, boolean>();
  const queue: [string, string, boolean][] = Object.keys(root.dependencies).map((name) => ['', name, false]);
  while (queue.length > 0) {
    const [from, name, optional] = queue.shift() as [string, string, boolean];
    const path = resolveFrom(packages, from, name);
    if (!path) {
      if (optional) continue;
      throw new Error(`package-lock.json has no entry for ${name} (needed by ${from || 'the bundle'}): run npm install at the repository root`);
    }
    const entry = packages[path] as LockEntry;
    if (entry.link) throw new Error(`${name} resolves to the workspace package at ${String(entry.resolved)}; a bundle inlines workspace packages, so it must not be external`);
    const seen = kept.get(path);
    if (seen === false || (seen === true && optional)) continue;
    kept.set(path, optional);
    for (const [dependency, optionalEdge] of edges(entry)) queue.push([path, dependency, optional || optionalEdge]);
  }
  const pruned: Record<string, LockEntry> = { '': { name: root.name, version: root.version, dependencies: root.dependencies } };
  for (const path of [...kept.keys()].sort()) {
    const { dev: _dev, devOptional: _devOptional, optional: _optional, peer: _peer, ...entry } = packages[path] as LockEntry;
    pruned[path] = kept.get(path) ? { ...entry, optional: true } : entry;
  }
  return { name: root.name, version: root.version, lockfileVersion: workspace.lockfileVersion, requires: true, packages: pruned };
}
