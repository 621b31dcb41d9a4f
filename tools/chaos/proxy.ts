import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy put between Meridian and Redis or Postgres to break the connection on purpose:
 * pass traffic through, hold every chunk back by `delayMs` (a slow network or an overloaded
 * server), refuse new connections, or reset the open ones.
 */
export class ChaosProxy {
  /** Added to every chunk, both ways. */
  delayMs = 0;
  private refusing = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<ChaosProxy> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const proxy = new ChaosProxy(server, (server.address() as { port: number }).port);
    server.on('connection', (client: Socket) => proxy.accept(client, target));
    return proxy;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const pipe = (from: Socket, to: Socket) => {
      from.on('data', (chunk: Buffer) => {
        if (this.delayMs === 0) to.write(chunk);
        else setTimeout(() => to.write(chunk), this.delayMs);
      });
      from.once('close', () => (this.delayMs === 0 ? to.destroy() : setTimeout(() => to.destroy(), this.delayMs)));
    };
    pipe(client, upstream);
    pipe(upstream, client);
  }

  /** Refuses new connections and resets the open ones, as a host that went away. */
  cut(): void {
    this.refusing = true;
    this.reset();
  }

  /** Resets every open connection (RST), leaving new ones to connect. */
  reset(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  /** Back to passing traffic untouched. */
  restore(): void {
    this.refusing = false;
    this.delayMs = 0;
  }

  get connections(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    this.reset();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
