import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest PostgreSQL installed from Debian's packages: its initdb, pg_ctl and pg_basebackup. */
function binaries(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root}: install them with \`apt-get install -y postgresql\``);
  return join(root, versions[0] as string, 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  port: number;
  url(database: string): string;
  /** Stops the server (fast shutdown: connections are cut), keeping its data. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): void;
}

/**
 * Throwaway PostgreSQL servers from the installed binaries, each on a free loopback port in a
 * temporary folder, run as the postgres user when the tests run as root (PostgreSQL refuses
 * root). The machine's own cluster and its config are left alone.
 */
export class PostgresServers {
  private readonly bin = binaries();
  private readonly root = mkdtempSync(join(tmpdir(), 'meridian-pg-'));
  private readonly asPostgres = process.getuid?.() === 0;
  private readonly servers: PostgresServer[] = [];

  constructor() {
    if (this.asPostgres) {
      const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(this.root, id('-u'), id('-g'));
    }
    chmodSync(this.root, 0o700);
  }

  private command(tool: string, args: string[]): [string, string[]] {
    const [command, ...rest] = this.asPostgres ? ['runuser', '-u', 'postgres', '--', join(this.bin, tool), ...args] : [join(this.bin, tool), ...args];
    return [command as string, rest];
  }

  private run(tool: string, args: string[], check = true): void {
    const result = spawnSync(...this.command(tool, args), { encoding: 'utf8', cwd: this.root });
    if (check && result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stdout}${result.stderr}`);
  }

  /** As run, without holding the event loop: a test's load keeps going meanwhile. */
  private async runAsync(tool: string, args: string[]): Promise<void> {
    await promisify(execFile)(...this.command(tool, args), { cwd: this.root });
  }

  private server(dir: string, port: number): PostgresServer {
    const server: PostgresServer = {
      port,
      url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
      start: () => this.runAsync('pg_ctl', ['-D', dir, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']),
      stop: () => this.runAsync('pg_ctl', ['-D', dir, '-m', 'fast', '-w', 'stop']),
      destroy: () => {
        if (existsSync(join(dir, 'postmaster.pid'))) this.run('pg_ctl', ['-D', dir, '-m', 'immediate', '-w', 'stop'], false);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    this.servers.push(server);
    return server;
  }

  /** A new primary: initdb (trusting loopback, replication included), then started. */
  async primary(): Promise<PostgresServer> {
    const port = await freePort();
    const dir = join(this.root, `primary-${port}`);
    this.run('initdb', ['-D', dir, '-U', 'postgres', '-A', 'trust', '--no-sync']);
    const server = this.server(dir, port);
    await server.start();
    return server;
  }

  /**
   * A streaming replica of `primary` (pg_basebackup -R), started. `applyDelay` holds its replay
   * back by that long, as a loaded replica lags.
   */
  async replica(primary: PostgresServer, options: { applyDelay?: string } = {}): Promise<PostgresServer> {
    const port = await freePort();
    const dir = join(this.root, `replica-${port}`);
    this.run('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dir, '-R', '-X', 'stream', '--no-sync']);
    // -R wrote the connection to the primary there; the delay goes beside it.
    if (options.applyDelay) appendFileSync(join(dir, 'postgresql.auto.conf'), `recovery_min_apply_delay = '${options.applyDelay}'\n`);
    const server = this.server(dir, port);
    await server.start();
    return server;
  }

  /** Stops every server and deletes their data. */
  destroy(): void {
    for (const server of this.servers.reverse()) server.destroy();
    rmSync(this.root, { recursive: true, force: true });
  }
}
