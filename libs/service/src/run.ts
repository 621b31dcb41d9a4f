import { describeConfigError } from '@meridian/config';
import closeWithGrace from 'close-with-grace';
import type { Service } from './types.js';

/** Where a process listens, and the variable that chooses the port (named when it is taken). */
export interface Listener {
  port: number;
  portVariable: string;
}

/**
 * Listens, then on SIGTERM/SIGINT keeps serving for SHUTDOWN_DELAY_MS (services only), stops
 * accepting, lets in-flight requests (and a worker's running jobs) finish, closes connections and
 * exits 0; a second signal or the shutdown timeout exits 1.
 * A service listens on its own port; a worker process passes its metrics port.
 */
export async function runService(app: Service, listener?: Listener): Promise<void> {
  const { config } = app;
  const { port, portVariable } = listener ?? { port: config.port, portVariable: `${config.service.toUpperCase()}_PORT` };
  closeWithGrace(
    {
      delay: config.shutdownTimeoutMs,
      logger: false,
      onSecondSignal: (signal) => app.log.error({ signal }, 'second signal: exiting now'),
      onTimeout: (delay) => app.log.error({ delay }, 'shutdown took too long: exiting'),
    },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'fatal error: shutting down');
      else app.log.info({ signal, delayMs: listener ? 0 : config.shutdownDelayMs }, 'shutting down: finishing in-flight requests');
      // A service keeps serving a moment first: when a whole stack stops at once, a request the
      // gateway is forwarding still finds its service listening (workers have nothing to wait for).
      if (!err && !listener && config.shutdownDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.shutdownDelayMs));
      await app.close();
      app.log.info('stopped');
      if (err) process.exitCode = 1;
    },
  );
  try {
    await app.listen({ host: config.host, port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(
        `Port ${port} on ${config.host} is in use. Stop whatever listens there, or choose another port with ${portVariable}.`,
      );
    }
    throw error;
  }
}

/** Entry-point wrapper: a bad environment or a failed start exits 1 with one line that says why. */
export async function main(start: () => Promise<void>): Promise<void> {
  try {
    await start();
  } catch (error) {
    const line = describeConfigError(error) ?? `Failed to start: ${(error as Error).message}`;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  }
}
