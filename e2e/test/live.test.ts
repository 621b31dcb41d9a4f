import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, stackForFile } from './stack.js';

const file = stackForFile('trader', 'read,write,admin', ['gateway', 'signals']);

describe('live bars through the gateway', () => {
  it('reach the example client (npm run live) as soon as an upload commits', async () => {
    const gateway = file.url('gateway');
    const post = (path: string, body: string, type: string) => fetch(`${gateway}${path}`, { method: 'POST', headers: { ...file.auth, 'content-type': type }, body });
    expect((await post('/v1/instruments', JSON.stringify({ symbol: 'LIVE', name: 'Live' }), 'application/json')).status).toBe(201);
    const client = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tools/cli/live.ts'), 'LIVE'], {
      env: { ...process.env, MERIDIAN_URL: gateway, MERIDIAN_API_KEY: file.auth.authorization?.replace('Bearer ', '') ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    client.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    client.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    try {
      // The client says when its stream has started: from then on it misses nothing.
      const started = Date.now() + 15_000;
      while (!err.includes('following LIVE') && Date.now() < started) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(err).toContain('following LIVE');
      const csv = 'date,open,high,low,close,volume\n2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11.5,200\n';
      expect((await post('/v1/bars?symbol=LIVE', csv, 'text/csv')).status).toBe(200);
      const deadline = Date.now() + 10_000;
      while (out.split('\n').filter(Boolean).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(out.trim().split('\n')).toEqual([
        'LIVE 1d 2024-01-02T00:00:00.000Z  O 10  H 11  L 9  C 10.5  V 100',
        'LIVE 1d 2024-01-03T00:00:00.000Z  O 10.5  H 12  L 10  C 11.5  V 200',
      ]);
    } finally {
      client.kill();
    }
  });
});
