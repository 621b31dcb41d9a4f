const COLORS = { gateway: 35, signals: 36, backtest: 33, monitor: 32 } as Record<string, number>;
const LEVELS: Record<number, [string, number]> = { 10: ['TRACE', 90], 20: ['DEBUG', 90], 30: ['INFO ', 32], 40: ['WARN ', 33], 50: ['ERROR', 31], 60: ['FATAL', 41] };
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'service', 'requestId', 'worker']);

const paint = (code: number, text: string, tty: boolean) => (tty ? `\u001b[${code}m${text}\u001b[0m` : text);

/** Turns one pino JSON line from a child process into one readable line, prefixed by the process name. */
export function formatLine(name: string, line: string, tty: boolean): string {
  const width = 16;
  const prefix = paint(COLORS[name.split(':')[0] as string] ?? 37, name.padEnd(width), tty);
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${prefix} ${line}`;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.level !== 'number') return `${prefix} ${line}`;
  const level = entry.level;
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now()).toISOString().slice(11, 23);
  const [label, color] = LEVELS[level] ?? ['?', 37];
  const fields = Object.entries(entry)
    .filter(([key]) => !SKIP.has(key))
    .map(([key, value]) => {
      if (key === 'err' && value && typeof value === 'object') {
        const err = value as { message?: string; stack?: string };
        return level >= 50 && err.stack ? `\n${err.stack}` : `err="${err.message ?? ''}"`;
      }
      return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    })
    .join(' ');
  return `${prefix} ${paint(90, time, tty)} ${paint(color, label, tty)} ${String(entry.msg ?? '')}${fields ? ` ${paint(90, fields, tty)}` : ''}`;
}
