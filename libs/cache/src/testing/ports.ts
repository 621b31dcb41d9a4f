import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A port nothing listens on right now: for a service that is down, or one a test starts later. */
export async function freePort(): Promise<number> {
  const below = ephemeralStart() - PORT_OFFSETS;
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = FIRST_FREE_PORT + Math.floor(Math.random() * (below - FIRST_FREE_PORT));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port found between ${FIRST_FREE_PORT} and ${below}`);
}

// freePort picks below the kernel's ephemeral range, which is where port 0 and outgoing
// connections take their ports: a port handed out here cannot be taken, between the check and
// the process binding it, by another test's server on port 0. Room is left for the ports a stack
// derives from its services' (a worker's metrics at the service's port + 100).
const FIRST_FREE_PORT = 10_000;
const PORT_OFFSETS = 200;

function ephemeralStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return start > FIRST_FREE_PORT + 1_000 + PORT_OFFSETS ? start : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
