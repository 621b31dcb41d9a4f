import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Progress } from './progress.js';

export interface UploadResult {
  status: number;
  body: string;
  seconds: number;
}

/**
 * POSTs a file as a stream with a progress bar on stderr. Once the last byte is sent it says the
 * wait that follows is the service's, since a large ingest commits after the upload ends.
 */
export async function uploadFile(url: string | URL, file: string, headers: Record<string, string>, label = 'uploaded'): Promise<UploadResult> {
  const size = statSync(file).size;
  const progress = new Progress(label, size / 1_048_576, 'MB', (n) => n.toFixed(1));
  let sent = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sent += chunk.length;
      progress.update(sent / 1_048_576);
      if (sent === size) {
        progress.done(sent / 1_048_576);
        process.stderr.write('uploaded; waiting for the service to store the last batch and commit...\n');
      }
      callback(null, chunk);
    },
  });
  const started = performance.now();
  const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-length': size } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (part: string) => (text += part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    pipeline(createReadStream(file), counter, req).catch(reject);
  });
  return { status, body, seconds: (performance.now() - started) / 1000 };
}
