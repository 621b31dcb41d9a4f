/**
 * A one-line progress report on stderr: done/total, rate and ETA, redrawn at most every 250 ms
 * on a terminal and every 5 s otherwise (so CI logs stay short).
 */
export class Progress {
  private readonly started = performance.now();
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly unit: string,
    private readonly format: (n: number) => string = (n) => Math.round(n).toLocaleString('en-US'),
  ) {}

  update(done: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.last < (this.tty ? 250 : 5_000)) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const parts = [`${this.label}: ${this.format(done)}${this.total ? ` / ${this.format(this.total)}` : ''} ${this.unit}`];
    if (this.total) parts.push(`${((100 * done) / this.total).toFixed(1)}%`);
    parts.push(`${this.format(rate)} ${this.unit}/s`);
    if (this.total && rate > 0 && done < this.total) parts.push(`ETA ${Math.ceil((this.total - done) / rate)} s`);
    const line = parts.join('  ');
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(done: number): void {
    this.update(done, true);
    if (this.tty) process.stderr.write('\n');
  }
}

export const megabytes = (bytes: number) => (bytes / 1_048_576).toFixed(1);
