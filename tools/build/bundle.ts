/**
 * Bundles one app into dist/apps/<app>/: the project's own code (apps and @meridian/* libs) in
 * one file per entry point, third-party packages left external so OpenTelemetry can instrument
 * them, and a package.json and package-lock.json naming exactly those packages (and what they
 * need, at the workspace's versions) so the folder deploys alone: `npm ci --omit=dev` in it
 * installs what the image holds.
 *
 *   tsx tools/build/bundle.ts <app>
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { type Lockfile, pruneLockfile } from './lockfile.js';

const root = resolve(import.meta.dirname, '../..');
const app = process.argv[2] ?? '';
if (!app || !existsSync(join(root, 'apps', app, 'src/main.ts'))) {
  console.error(`usage: tsx tools/build/bundle.ts <app>  (one of the folders in apps/ with src/main.ts; got "${app ?? ''}")`);
  process.exit(2);
}

const ENTRY_POINTS = ['main', 'worker'].filter((name) => existsSync(join(root, 'apps', app, `src/${name}.ts`)));
// Every app also gets telemetry.js, loaded first with `node --import`: the entry point
// @meridian/telemetry exports for that (see libs/telemetry).
const TELEMETRY = fileURLToPath(import.meta.resolve('@meridian/telemetry/register'));
// Every image can also migrate its database (migrate.js, with the SQL files in migrations/) and
// check its own health (health.js, the image's HEALTHCHECK).
const MIGRATE = fileURLToPath(import.meta.resolve('@meridian/db/migrate-main'));
const HEALTH = fileURLToPath(import.meta.resolve('@meridian/service/health-check-main'));
const outdir = join(root, 'dist/apps', app);
const externals = new Set<string>();
const requireFromApp = createRequire(join(root, 'apps', app, 'package.json'));

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/**
 * The packages libs/telemetry/src/tracing.ts instruments. OpenTelemetry patches a package as
 * require() loads it, and an `import` of it goes past that unless an ESM loader hook watches
 * every import of the process, which slows every start (BENCHMARKS.md, "Tracing"). So the bundles
 * import these from a small module that loads them with require and exports what the package
 * exports.
 */
const INSTRUMENTED = /^(pg|ioredis)$/;
const requireInstrumented: Plugin = {
  name: 'require-instrumented',
  setup(b) {
    b.onResolve({ filter: INSTRUMENTED }, (args) => ({ path: args.path, namespace: 'require-instrumented' }));
    b.onLoad({ filter: /.*/, namespace: 'require-instrumented' }, (args) => {
      externals.add(args.path);
      const names = Object.keys(requireFromApp(args.path) as object).filter((name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name));
      const contents = [
        "import { createRequire } from 'node:module';",
        `const loaded = createRequire(import.meta.url)(${JSON.stringify(args.path)});`,
        'export default loaded;',
        names.length > 0 ? `export const { ${names.join(', ')} } = loaded;` : '',
      ].join('\n');
      return { contents, loader: 'js', resolveDir: root };
    });
  },
};

/** Keeps every bare import but our own workspace packages out of the bundle, and records it. */
const externalThirdParty: Plugin = {
  name: 'external-third-party',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@meridian/') || args.path.startsWith('node:')) return undefined;
      externals.add(packageName(args.path));
      return { path: args.path, external: true };
    });
  },
};

const entryPoints: Record<string, string> = {
  ...Object.fromEntries(ENTRY_POINTS.map((name) => [name, join(root, 'apps', app, `src/${name}.ts`)])),
  telemetry: TELEMETRY,
  migrate: MIGRATE,
  health: HEALTH,
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints,
  outdir,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  splitting: false,
  legalComments: 'none',
  plugins: [requireInstrumented, externalThirdParty],
  logLevel: 'warning',
  metafile: true,
});

function installedVersion(name: string): string {
  for (const from of [join(root, 'apps', app), root]) {
    const file = join(from, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return (JSON.parse(readFileSync(requireFromApp.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

// Loaded by name at run time (pino transports, files served from a package), so no import shows them to esbuild.
const LOADED_BY_NAME: Record<string, string[]> = { '*': ['pino-pretty'], backtest: ['uplot'], monitor: ['uplot'] };
for (const name of [...(LOADED_BY_NAME['*'] ?? []), ...(LOADED_BY_NAME[app] ?? [])]) externals.add(name);
const builtins = new Set((await import('node:module')).builtinModules);
const dependencies = Object.fromEntries(
  [...externals].filter((name) => !builtins.has(name)).sort().map((name) => [name, installedVersion(name)]),
);
const appPackage = JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')) as { version: string; description: string };
const manifest = { name: `meridian-${app}`, version: appPackage.version, description: appPackage.description, private: true, type: 'module', main: 'main.js', engines: { node: '>=20.19' }, dependencies };
writeFileSync(join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const workspaceLock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
writeFileSync(join(outdir, 'package-lock.json'), `${JSON.stringify(pruneLockfile(workspaceLock, manifest), null, 2)}\n`);
cpSync(join(root, 'libs/db/migrations'), join(outdir, 'migrations'), { recursive: true });
// npm may install an app's own dependency under apps/<app>/node_modules instead of the root;
// a link lets the bundle resolve it in the workspace as it would after `npm install` alone.
const nested = join(root, 'apps', app, 'node_modules');
if (existsSync(nested)) symlinkSync(nested, join(outdir, 'node_modules'), 'dir');

const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`built dist/apps/${app}: ${Object.keys(entryPoints).map((e) => `${e}.js`).join(', ')} (${(bytes / 1024).toFixed(0)} KiB with maps), ${Object.keys(dependencies).length} external packages`);
