/**
 * The live benchmark's load generator, in a process of its own: it holds thousands of Server-Sent
 * Events connections, notes when each bar event arrives, and answers the bench over IPC.
 *
 * Messages from the bench:
 *   { type: 'connect', targets: Target[], count, symbols }  open `count` more clients, client i on symbols[i % n], spread over the targets
 *   { type: 'receipts', keys }    for each "<symbol> <ts>", how many clients received it and when the last did
 *   { type: 'churn', perSecond }  drop that many random clients each second; each reconnects with Last-Event-ID (0 stops)
 *   { type: 'audit', expected }   per client, the expected bars it missed or received twice
 *   { type: 'close' }
 */
import { request, type IncomingMessage } from 'node:http';
import { INTERNAL_HEADER, signInternal } from '@meridian/service';

export interface Target {
  /** Base URL of the gateway or a signals instance. */
  url: string;
  /** A gateway API key, or the internal secret to sign with when talking to a service directly. */
  key?: string;
  secret?: string;
}

interface Client {
  symbol: string;
  target: Target;
  lastId?: string;
  /** Bar events received, by "<symbol> <ts>". */
  seen: Map<string, number>;
  req?: ReturnType<typeof request>;
}

const clients: Client[] = [];
const receipts = new Map<string, { count: number; last: number }>();
let churn: NodeJS.Timeout | undefined;
let reconnects = 0;
let errors = 0;

const send = (message: unknown) => process.send?.(message);

function headersFor(target: Target, path: string, lastId: string | undefined): Record<string, string> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (target.key) headers.authorization = `Bearer ${target.key}`;
  if (target.secret) headers[INTERNAL_HEADER] = signInternal(target.secret, 'GET', path, { tenant: 'bench', keyId: 'bench' });
  if (lastId) headers['last-event-id'] = lastId;
  return headers;
}

/** Opens the client's stream; resolves once its response has begun. */
function open(client: Client): Promise<void> {
  const path = `/v1/live?symbols=${client.symbol}&interval=1m`;
  return new Promise((resolve) => {
    const req = request(`${client.target.url}${path}`, { agent: false, headers: headersFor(client.target, path, client.lastId) });
    client.req = req;
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        errors += 1;
        res.resume();
        return resolve();
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          received(client, buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('error', () => undefined);
      resolve();
    });
    req.on('error', () => {
      errors += 1;
      resolve();
    });
    req.end();
  });
}

function received(client: Client, block: string): void {
  const id = /^id: (.*)$/m.exec(block)?.[1];
  if (id) client.lastId = id;
  if (!block.includes('event: bar')) return;
  const now = Date.now();
  const data = JSON.parse(block.slice(block.indexOf('data: ') + 6)) as { symbol: string; ts: string };
  const key = `${data.symbol} ${data.ts}`;
  client.seen.set(key, (client.seen.get(key) ?? 0) + 1);
  const receipt = receipts.get(key) ?? { count: 0, last: 0 };
  receipt.count += 1;
  receipt.last = Math.max(receipt.last, now);
  receipts.set(key, receipt);
}

async function connect(targets: Target[], count: number, symbols: string[]): Promise<void> {
  const start = clients.length;
  const added: Client[] = [];
  for (let i = start; i < start + count; i++) {
    const client: Client = { symbol: symbols[i % symbols.length] as string, target: targets[i % targets.length] as Target, seen: new Map() };
    clients.push(client);
    added.push(client);
  }
  // A few hundred at a time: a burst of 10,000 SYNs overflows the listen backlog.
  for (let i = 0; i < added.length; i += 250) {
    await Promise.all(added.slice(i, i + 250).map(open));
    send({ type: 'progress', connected: clients.length - added.length + Math.min(added.length, i + 250) });
  }
}

function audit(expected: Record<string, string[]>): { clients: number; missing: number; duplicated: number } {
  let missing = 0;
  let duplicated = 0;
  for (const client of clients) {
    for (const ts of expected[client.symbol] ?? []) {
      const n = client.seen.get(`${client.symbol} ${ts}`) ?? 0;
      if (n === 0) missing += 1;
      if (n > 1) duplicated += n - 1;
    }
  }
  return { clients: clients.length, missing, duplicated };
}

process.on('message', (message: { type: string; targets?: Target[]; count?: number; symbols?: string[]; keys?: string[]; perSecond?: number; expected?: Record<string, string[]> }) => {
  void (async () => {
    switch (message.type) {
      case 'connect':
        await connect(message.targets ?? [], message.count ?? 0, message.symbols ?? []);
        return send({ type: 'connected', clients: clients.length, errors });
      case 'receipts':
        return send({ type: 'receipts', receipts: Object.fromEntries((message.keys ?? []).map((key) => [key, receipts.get(key) ?? { count: 0, last: 0 }])) });
      case 'churn':
        clearInterval(churn);
        if (message.perSecond)
          churn = setInterval(() => {
            for (let i = 0; i < (message.perSecond ?? 0); i++) {
              const client = clients[Math.floor(Math.random() * clients.length)] as Client;
              client.req?.destroy();
              reconnects += 1;
              void open(client);
            }
          }, 1_000);
        return send({ type: 'churning' });
      case 'audit':
        return send({ type: 'audit', ...audit(message.expected ?? {}), reconnects, errors });
      case 'close':
        clearInterval(churn);
        for (const client of clients) client.req?.destroy();
        process.exit(0);
    }
  })();
});
send({ type: 'ready' });
