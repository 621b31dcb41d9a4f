import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { type BarFormat, BarParser, LineTooLong, type ParseSummary } from '../src/bars/parse.js';

/** The COPY rows and summary the parser gives for `chunks`, fed one after another. */
async function parse(format: BarFormat, ...chunks: (string | Buffer)[]): Promise<{ rows: string[]; summary: ParseSummary }> {
  const parser = new BarParser(format);
  const out = await text(Readable.from(chunks.map((chunk) => (typeof chunk === 'string' ? Buffer.from(chunk) : chunk))).pipe(parser));
  return { rows: out === '' ? [] : out.slice(0, -1).split('\n'), summary: parser.summary };
}

const DAY = Date.UTC(2020, 0, 2);
const NEXT = Date.UTC(2020, 0, 3);

describe('BarParser, CSV', () => {
  it('writes one COPY row per bar: line, epoch ms, open, high, low, close, volume', async () => {
    const { rows, summary } = await parse('csv', 'date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,100\n2020-01-03,1.5,3,1,2,0\n');
    expect(rows).toEqual([`2\t${DAY}\t1\t2\t0.5\t1.5\t100`, `3\t${NEXT}\t1.5\t3\t1\t2\t0`]);
    expect(summary).toEqual({ rows: 2, rejected: 0, rejections: [], ascending: true, minTs: DAY, maxTs: NEXT });
  });

  it('finds the columns by name in any order and case, under any of the date names, and ignores extra ones', async () => {
    for (const date of ['ts', 'Timestamp', 'TIME', '"date"']) {
      const { rows } = await parse('csv', `symbol,close,LOW,${date},High,open,note\nX,1.5,0.5,2020-01-02,2,1,hello\n`);
      expect(rows, date).toEqual([`2\t${DAY}\t1\t2\t0.5\t1.5\t\\N`]);
    }
  });

  it('stores a missing or empty volume as NULL', async () => {
    const { rows } = await parse('csv', 'date,open,high,low,close,volume\n2020-01-02,1,2,0.5,1.5,\n');
    expect(rows).toEqual([`2\t${DAY}\t1\t2\t0.5\t1.5\t\\N`]);
  });

  it('takes quoted and padded cells, CRLF line ends, and skips blank lines while counting them', async () => {
    const { rows } = await parse('csv', 'date,open,high,low,close\r\n\r\n"2020-01-02", 1 , "2" ,\t0.5\t," 1.5 "\r\n   \n2020-01-03,1.5,3,1,2');
    expect(rows).toEqual([`3\t${DAY}\t1\t2\t0.5\t1.5\t\\N`, `5\t${NEXT}\t1.5\t3\t1\t2\t\\N`]);
  });

  it('reads a line and a multi-byte character split across chunks', async () => {
    const euro = Buffer.from('€');
    const { rows, summary } = await parse('csv', 'date,open,hi', 'gh,low,close,note\n2020-01-', '02,1,2,0.5,1.5,', euro.subarray(0, 1), euro.subarray(1), '\n');
    expect(rows).toEqual([`2\t${DAY}\t1\t2\t0.5\t1.5\t\\N`]);
    expect(summary.rejected).toBe(0);
  });

  it('refuses a header without the required columns, naming what is missing', async () => {
    const { rows, summary } = await parse('csv', 'date,price,high\n2020-01-02,1,2\n');
    expect(rows).toEqual([]);
    expect(summary.rejections[0]).toEqual({ line: 1, reason: 'the header lacks open, low, close: expected date,open,high,low,close[,volume], got "date,price,high"' });
    const noDate = await parse('csv', 'day,open,high,low,close\n');
    expect(noDate.summary.rejections[0]?.reason).toMatch(/^the header lacks date:/);
  });

  it('refuses an empty file', async () => {
    for (const empty of ['', '\n\n']) {
      const { summary } = await parse('csv', empty);
      expect(summary).toMatchObject({ rows: 0, rejected: 1, rejections: [{ line: 1, reason: 'the file is empty: expected a header line date,open,high,low,close[,volume]' }] });
    }
  });

  it('describes each bad line with its number and reason', async () => {
    const file = [
      'date,open,high,low,close,volume',
      '2020-01-02,1,2',
      '2020-01-02,x,2,0.5,1.5,1',
      '2020-01-02,,2,0.5,1.5,1',
      '2020-01-02,1,Infinity,0.5,1.5,1',
      '2020-01-02,1,0.4,0.5,0.45,1',
      '2020-01-02,2.5,2,0.5,1.5,1',
      '2020-01-02,0.4,2,0.5,1.5,1',
      '2020-01-02,1,2,0.5,2.5,1',
      '2020-01-02,1,2,0.5,0.4,1',
      '2020-01-02,1,2,0.5,1.5,-1',
      '2020-01-02,1,2,0.5,1.5,many',
      '02/01/2020,1,2,0.5,1.5,1',
      '2020-01-02,1,2,0.5,1.5',
      '2020-01-02,1,2,low,1.5,1',
      '2020-01-02,1,2,0.5,close,1',
      '2020-01-02,"5,2,0.5,1.5,1',
      '2020-01-02,5",2,0.5,1.5,1',
      '2020-01-02,"",2,0.5,1.5,1',
      '2020-01-02, ",2,0.5,1.5,1',
    ].join('\n');
    const { rows, summary } = await parse('csv', file);
    expect(rows).toEqual([]);
    expect(summary.rejections).toEqual([
      { line: 2, reason: 'expected at least 6 columns, got 3' },
      { line: 3, reason: 'open is not a number: "x"' },
      { line: 4, reason: 'open is not a number: ""' },
      { line: 5, reason: 'high is not a number: "Infinity"' },
      { line: 6, reason: 'high 0.4 is below low 0.5' },
      { line: 7, reason: 'open 2.5 and close 1.5 must lie within low 0.5 and high 2' },
      { line: 8, reason: 'open 0.4 and close 1.5 must lie within low 0.5 and high 2' },
      { line: 9, reason: 'open 1 and close 2.5 must lie within low 0.5 and high 2' },
      { line: 10, reason: 'open 1 and close 0.4 must lie within low 0.5 and high 2' },
      { line: 11, reason: 'volume -1 is negative' },
      { line: 12, reason: 'volume is not a number: "many"' },
      { line: 13, reason: 'unparseable date "02/01/2020": use YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds' },
      { line: 14, reason: 'expected at least 6 columns, got 5' },
      { line: 15, reason: 'low is not a number: "low"' },
      { line: 16, reason: 'close is not a number: "close"' },
      // A quote at one end only is part of the value; both ends' quotes are not.
      { line: 17, reason: 'open is not a number: ""5"' },
      { line: 18, reason: 'open is not a number: "5""' },
      { line: 19, reason: 'open is not a number: ""' },
      { line: 20, reason: 'open is not a number: """' },
    ]);
    expect(summary.rejected).toBe(19);
  });

  it('takes prices on the edges of the bar: open and close equal to high or low', async () => {
    const { rows, summary } = await parse('csv', 'date,open,high,low,close\n2020-01-02,2,2,1,1\n2020-01-03,1,2,1,2\n2020-01-04,1,1,1,1\n');
    expect(summary.rejected).toBe(0);
    expect(rows).toHaveLength(3);
  });

  it('lists the first 20 bad lines and counts them all; the good lines after a bad one are read but not written', async () => {
    const bad = Array.from({ length: 25 }, () => '2020-01-02,x,2,0.5,1.5');
    const { rows, summary } = await parse('csv', ['date,open,high,low,close', '2020-01-02,1,2,0.5,1.5', ...bad, '2020-01-03,1,2,0.5,1.5'].join('\n'));
    expect(summary.rejected).toBe(25);
    expect(summary.rejections).toHaveLength(20);
    expect(summary.rejections.at(-1)?.line).toBe(22);
    expect(summary.rows).toBe(2);
    expect(rows).toEqual([`2\t${DAY}\t1\t2\t0.5\t1.5\t\\N`]);
  });

  it('says whether the timestamps strictly increase, and their range', async () => {
    const header = 'date,open,high,low,close\n';
    const ascending = await parse('csv', `${header}2020-01-02,1,1,1,1\n2020-01-03,1,1,1,1\n`);
    expect(ascending.summary).toMatchObject({ ascending: true, minTs: DAY, maxTs: NEXT });
    const repeated = await parse('csv', `${header}2020-01-02,1,1,1,1\n2020-01-02,1,1,1,1\n`);
    expect(repeated.summary).toMatchObject({ ascending: false, minTs: DAY, maxTs: DAY });
    const descending = await parse('csv', `${header}2020-01-03,1,1,1,1\n2020-01-02,1,1,1,1\n`);
    expect(descending.summary).toMatchObject({ ascending: false, minTs: DAY, maxTs: NEXT });
  });

  it('quotes at most 40 characters of a bad value and 80 of a bad header', async () => {
    const long = 'y'.repeat(50);
    const { summary } = await parse('csv', `date,open,high,low,close\n2020-01-02,${long},1,1,1\n${long},1,1,1,1\n`);
    expect(summary.rejections).toEqual([
      { line: 2, reason: `open is not a number: "${'y'.repeat(40)}"` },
      { line: 3, reason: `unparseable date "${'y'.repeat(40)}": use YYYY-MM-DD, an ISO 8601 date-time or epoch milliseconds` },
    ]);
    const header = `date,${'h'.repeat(100)}`;
    const bad = await parse('csv', `${header}\n2020-01-02,1,1,1,1\n`);
    expect(bad.summary.rejections[0]?.reason).toBe(`the header lacks open, high, low, close: expected date,open,high,low,close[,volume], got "${header.slice(0, 80)}"`);
  });

  it('stops at a line too long to be a bar, naming it', async () => {
    const parser = new BarParser('csv');
    const stream = Readable.from([Buffer.from('date,open,high,low,close\n2020-01-02,1,1,1,1\n'), Buffer.from('x'.repeat(5000))]).pipe(parser);
    const error = await text(stream).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LineTooLong);
    expect(error).toMatchObject({
      name: 'LineTooLong',
      message: 'line 3 is longer than 4096 characters with no line break; is this a bar file?',
      line: 3,
      reason: 'longer than 4096 characters with no line break; is this a bar file?',
    });
    // Exactly 4096 characters still fit.
    const start = '2020-01-02,1,1,1,1,';
    const { summary } = await parse('csv', `date,open,high,low,close,note\n${start}${'n'.repeat(4096 - start.length)}`, '\n');
    expect(summary).toMatchObject({ rows: 1, rejected: 0 });
  });
});

describe('BarParser, NDJSON', () => {
  it('reads ts or date, numbers or strings, and a missing or null volume as NULL', async () => {
    const file = [
      '{"ts":"2020-01-02","open":1,"high":2,"low":0.5,"close":1.5,"volume":100}',
      '',
      `{"date":${NEXT},"open":"1.5","high":"3","low":1,"close":2,"volume":null}`,
      `{"ts":${NEXT + 1},"date":"garbage","open":1,"high":1,"low":1,"close":1}`,
    ].join('\n');
    const { rows, summary } = await parse('ndjson', file);
    expect(rows).toEqual([`1\t${DAY}\t1\t2\t0.5\t1.5\t100`, `3\t${NEXT}\t1.5\t3\t1\t2\t\\N`, `4\t${NEXT + 1}\t1\t1\t1\t1\t\\N`]);
    expect(summary.rejected).toBe(0);
  });

  it('describes each line that is not a bar', async () => {
    const file = ['{"ts":', '[1,2]', 'null', '"text"', '{"open":1,"high":1,"low":1,"close":1}', '{"ts":"2020-01-02","high":1,"low":1,"close":1}', '{"ts":"2020-01-02","open":1,"high":1,"low":1,"close":{"v":1}}', '{"ts":"2020-01-02","open":1,"high":1,"low":1,"close":null}'].join('\n');
    const { summary } = await parse('ndjson', file);
    expect(summary.rejections).toEqual([
      { line: 1, reason: 'not a JSON object' },
      { line: 2, reason: 'not a JSON object' },
      { line: 3, reason: 'not a JSON object' },
      { line: 4, reason: 'not a JSON object' },
      { line: 5, reason: 'ts (or date) is missing' },
      { line: 6, reason: 'open is missing' },
      { line: 7, reason: 'close must be a number or a string' },
      { line: 8, reason: 'close is missing' },
    ]);
  });

  it('needs no header: an empty NDJSON file is no bars, not an error', async () => {
    const { rows, summary } = await parse('ndjson', '');
    expect(rows).toEqual([]);
    expect(summary).toMatchObject({ rows: 0, rejected: 0 });
  });
});
