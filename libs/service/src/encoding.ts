/** Bodies smaller than this go out uncompressed: the headers would outweigh the saving. */
export const COMPRESS_FROM_BYTES = 1024;
/** Brotli's default quality (11) costs more CPU than it saves on the wire for API responses. */
export const BROTLI_QUALITY = 4;

export type Encoding = 'br' | 'gzip';

/** From an Accept-Encoding header: br if the client takes it, else gzip, else nothing (q=0 refuses). */
export function preferredEncoding(header: string | undefined): Encoding | undefined {
  if (!header) return undefined;
  const accepted = new Set<string>();
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.split(';').map((token) => token.trim());
    const q = params.find((param) => param.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) accepted.add(name);
  }
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : undefined;
}
