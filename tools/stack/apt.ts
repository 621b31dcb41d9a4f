import { spawnSync } from 'node:child_process';

/**
 * Installs a Debian package for the test suite's own tools (Chromium, kubectl) when running as
 * root, refreshing the package lists once if the first try fails. Returns whether it worked.
 */
export function aptInstall(pkg: string, log: (message: string) => void): boolean {
  if (process.getuid?.() !== 0) return false;
  log(`installing Debian's ${pkg} (apt-get install -y ${pkg})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', pkg], { stdio: 'inherit', env }).status === 0;
  if (install()) return true;
  spawnSync('apt-get', ['update'], { stdio: 'inherit' });
  return install();
}
