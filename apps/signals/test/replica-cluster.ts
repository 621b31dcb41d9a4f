import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@meridian/service/testing';

/** The newest PostgreSQL installed from Debian's packages: its initdb, pg_ctl and pg_basebackup. */
function binaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}: install them with \`apt-get install -y postgresql\``);
  return join(root, versions[0] as string, 'bin');
}

export interface PrimaryAndReplica {
  primaryUrl: (database: string) => string;
  replicaUrl: (database: string) => string;
  stop(): void;
}

/**
 * A throwaway primary and a streaming replica of it (initdb, then pg_basebackup -R), each on a
 * free loopback port and in its own temporary folder, run as the postgres user when the tests
 * run as root (PostgreSQL refuses root). The machine's own cluster and its config are untouched.
 * `applyDelay` holds the replica's replay back by that long, as a loaded replica lags.
 */
export async function startPrimaryAndReplica(options: { applyDelay?: string } = {}): Promise<PrimaryAndReplica> {
  const bin = binaries();
  const root = mkdtempSync(join(tmpdir(), 'meridian-replica-'));
  const asPostgres = process.getuid?.() === 0;
  if (asPostgres) {
    const ids = execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim();
    const group = execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim();
    chownSync(root, Number(ids), Number(group));
  }
  chmodSync(root, 0o700);
  const run = (tool: string, args: string[]) => {
    const [command, ...rest] = asPostgres ? ['runuser', '-u', 'postgres', '--', join(bin, tool), ...args] : [join(bin, tool), ...args];
    const result = spawnSync(command as string, rest, { encoding: 'utf8', cwd: root });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
  };
  const [primaryPort, replicaPort] = [await freePort(), await freePort()];
  const primary = join(root, 'primary');
  const replica = join(root, 'replica');
  const start = (dir: string, port: number) => run('pg_ctl', ['-D', dir, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  const stop = () => {
    for (const dir of [replica, primary]) if (existsSync(join(dir, 'postmaster.pid'))) spawnSync(...(asPostgres ? ['runuser', ['-u', 'postgres', '--', join(bin, 'pg_ctl'), '-D', dir, '-m', 'immediate', 'stop']] : [join(bin, 'pg_ctl'), ['-D', dir, '-m', 'immediate', 'stop']]) as [string, string[]]);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    // initdb's default pg_hba.conf trusts local replication connections, which pg_basebackup uses.
    run('initdb', ['-D', primary, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    start(primary, primaryPort);
    run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream', '--no-sync']);
    if (options.applyDelay) {
      // -R wrote the connection to the primary there; the delay goes beside it.
      appendFileSync(join(replica, 'postgresql.auto.conf'), `recovery_min_apply_delay = '${options.applyDelay}'\n`);
    }
    start(replica, replicaPort);
  } catch (error) {
    stop();
    throw error;
  }
  return {
    primaryUrl: (database) => `postgres://postgres@127.0.0.1:${primaryPort}/${database}`,
    replicaUrl: (database) => `postgres://postgres@127.0.0.1:${replicaPort}/${database}`,
    stop,
  };
}
