import { describe, expect, it } from 'vitest';
import { fastUtc, parseTimestamp } from '../src/bars/timestamp.js';

describe('parseTimestamp', () => {
  it('reads dates and zone-less date-times as UTC, whatever the server zone', () => {
    expect(parseTimestamp('2000-01-03')).toBe(Date.UTC(2000, 0, 3));
    expect(parseTimestamp('2000-01-03T09:30')).toBe(Date.UTC(2000, 0, 3, 9, 30));
    expect(parseTimestamp('2000-01-03 09:30:15.25')).toBe(Date.UTC(2000, 0, 3, 9, 30, 15, 250));
  });

  it('applies an explicit offset', () => {
    expect(parseTimestamp('2000-01-03T09:30:00-05:00')).toBe(Date.UTC(2000, 0, 3, 14, 30));
    expect(parseTimestamp('2000-01-03T09:30:00+0530')).toBe(Date.UTC(2000, 0, 3, 4, 0));
    expect(parseTimestamp('2000-01-03T09:30:00Z')).toBe(Date.UTC(2000, 0, 3, 9, 30));
  });

  it('reads epoch seconds and epoch milliseconds', () => {
    expect(parseTimestamp('946857600')).toBe(Date.UTC(2000, 0, 3));
    expect(parseTimestamp('946857600000')).toBe(Date.UTC(2000, 0, 3));
  });

  it('refuses impossible calendar dates and times rather than rolling them over', () => {
    for (const bad of ['2021-02-30', '2021-13-01', '2021-01-01T24:00', '2021-01-01T10:60', '01/02/2021', 'yesterday', '']) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
  });

  it('knows leap years, on the fast path and after a date-time on the same day', () => {
    expect(parseTimestamp('2000-02-29')).toBe(Date.UTC(2000, 1, 29));
    expect(parseTimestamp('2024-02-29T10:00')).toBe(Date.UTC(2024, 1, 29, 10));
    for (const bad of ['1900-02-29', '2023-02-29', '2100-02-29', '2023-04-31', '2023-00-10', '2023-01-00', '2023-01-32']) {
      expect(parseTimestamp(bad), bad).toBeUndefined();
    }
    expect(parseTimestamp('2023-01-31')).toBe(Date.UTC(2023, 0, 31));
    expect(parseTimestamp('2023-12-31T23:59:59.999Z')).toBe(Date.UTC(2023, 11, 31, 23, 59, 59, 999));
  });

  it('reads a year below 100 as itself, not as 1900 plus it', () => {
    expect(parseTimestamp('0050-06-15')).toBe(Date.parse('0050-06-15T00:00:00Z'));
    expect(parseTimestamp('0050-06-15T10:00:00+01:00')).toBe(Date.parse('0050-06-15T09:00:00Z'));
    expect(parseTimestamp('0100-01-01')).toBe(Date.parse('0100-01-01T00:00:00Z'));
  });

  it('gives each day its own value when days alternate (the day is cached between calls)', () => {
    expect(parseTimestamp('2020-01-02T10:00')).toBe(Date.UTC(2020, 0, 2, 10));
    expect(parseTimestamp('2020-01-03')).toBe(Date.UTC(2020, 0, 3));
    expect(parseTimestamp('2020-01-02')).toBe(Date.UTC(2020, 0, 2));
    expect(parseTimestamp('2020-01-02T00:01:02.003')).toBe(Date.UTC(2020, 0, 2, 0, 1, 2, 3));
  });

  it('reads every shape of date-time the fast path takes', () => {
    expect(parseTimestamp('2020-01-02 10:20')).toBe(Date.UTC(2020, 0, 2, 10, 20));
    expect(parseTimestamp('2020-01-02T10:20Z')).toBe(Date.UTC(2020, 0, 2, 10, 20));
    expect(parseTimestamp('2020-01-02T10:20:30')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30));
    expect(parseTimestamp('2020-01-02T10:20:30Z')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30));
    expect(parseTimestamp('2020-01-02T10:20:30.456')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30, 456));
    expect(parseTimestamp('2020-01-02T10:20:30.456Z')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30, 456));
    expect(parseTimestamp('2020-01-02T23:59:59')).toBe(Date.UTC(2020, 0, 2, 23, 59, 59));
  });

  it('reads the other ISO 8601 shapes through the general parser', () => {
    expect(parseTimestamp('2020-01-02T10:20:30.4')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30, 400));
    expect(parseTimestamp('2020-01-02T10:20:30.123456789Z')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30, 123));
    expect(parseTimestamp('2020-01-02t10:20:30z')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30));
    expect(parseTimestamp('2020-01-02T10:20-0130')).toBe(Date.UTC(2020, 0, 2, 11, 50));
    expect(parseTimestamp('2020-01-02T10:20:30 +01:00')).toBe(Date.UTC(2020, 0, 2, 9, 20, 30));
    expect(parseTimestamp(' 2020-01-02T10:20:30Z ')).toBe(Date.UTC(2020, 0, 2, 10, 20, 30));
    // The last minute of a day, read by the general parser.
    expect(parseTimestamp('2020-01-02T23:59:59+01:00')).toBe(Date.UTC(2020, 0, 2, 22, 59, 59));
  });

  it('refuses a date-time whose separators or digits are wrong', () => {
    const bad = ['2020/01-02', '2020-01/02', '202/-01-02', '2020-01-02T10x30', '2020-01-02X10:20', '2020-01-02T1020', '2020-01-02T10:20-30', '2020-01-02T10:20:30,456', '2020-01-02T10:2a', '2020-01-02T10:20:3a', '2020-01-02T10:20:30.4a6', '2020-01-0a', '2020-01-02T', '2020/01/02', '2020-01-02T10:20:30+01', '2021-02-30T10:00:00+01:00', '2021-01-01T24:00:00+00:00', '2021-01-01T10:60:00+00:00', '2021-01-01T10:00:60+00:00', '2021-01-01T10:00:60', '2021-01-01T10:00:60Z'];
    for (const text of bad) expect(parseTimestamp(text), text).toBeUndefined();
  });

  it('reads ten-digit and shorter numbers as seconds, from 10^11 up as milliseconds, and no more than 13 digits', () => {
    expect(parseTimestamp('99999999999')).toBe(99_999_999_999_000);
    expect(parseTimestamp('100000000000')).toBe(100_000_000_000);
    expect(parseTimestamp('0')).toBe(0);
    expect(parseTimestamp(' 946857600 ')).toBe(Date.UTC(2000, 0, 3));
    expect(parseTimestamp('1234567890123')).toBe(1_234_567_890_123);
    expect(parseTimestamp('12345678901234')).toBeUndefined();
    expect(parseTimestamp('-946857600')).toBeUndefined();
  });
});

describe('the fast path of the common shapes', () => {
  it('reads dates and date-times to the millisecond itself', () => {
    const shapes: [string, number][] = [
      ['2020-01-02', Date.UTC(2020, 0, 2)],
      ['2024-02-29', Date.UTC(2024, 1, 29)],
      ['2020-12-31T23:59', Date.UTC(2020, 11, 31, 23, 59)],
      ['2020-01-02 10:20', Date.UTC(2020, 0, 2, 10, 20)],
      ['2020-01-02T10:20Z', Date.UTC(2020, 0, 2, 10, 20)],
      ['2020-01-02T10:20:30', Date.UTC(2020, 0, 2, 10, 20, 30)],
      ['2020-01-02T10:20:30Z', Date.UTC(2020, 0, 2, 10, 20, 30)],
      ['2020-01-02T10:20:30.456', Date.UTC(2020, 0, 2, 10, 20, 30, 456)],
      ['2020-01-02T10:20:30.456Z', Date.UTC(2020, 0, 2, 10, 20, 30, 456)],
      ['2019-10-09T09:09:09.099', Date.UTC(2019, 9, 9, 9, 9, 9, 99)],
      ['0099-12-31T10:00', Date.parse('0099-12-31T10:00:00Z')],
    ];
    for (const [text, ms] of shapes) expect(fastUtc(text), text).toBe(ms);
  });

  it('leaves every other shape, and every impossible date or time, to the general parser', () => {
    const others = ['2020-01-0', '2020/01/02', '2020/01-02', '2020-01/02', '202/-01-02', '2020-01-02T10x30', '2020-01-02T10', '2020-01-02T10:20:30.4', '2020-01-02T10:20+01:00', '2020-01-02T10:20:30,456', '2020-01-02X10:20', '2020-01-02T1020', '2020-01-02T10:20-30', '2020-01-02T10:20:30;456', '2020-01-02T10:20:30.45a', '2020-0a-02', '202a-01-02', '2020-01-0a', '2020-13-01', '2020-00-01', '2020-02-30', '2023-02-29', '2100-02-29', '2020-04-31', '2020-01-00', '2020-01-02T24:00', '2020-01-02T23:60', '2020-01-02T23:59:60', '2020-01-02T2a:00', '2020-01-02T23:5a', '2020-01-02T23:59:5a', '2020-01-02T23:59Zx'];
    for (const text of others) expect(fastUtc(text), text).toBeUndefined();
  });

  it('forgets no day when dates alternate', () => {
    expect(fastUtc('2020-01-02T01:00')).toBe(Date.UTC(2020, 0, 2, 1));
    expect(fastUtc('2021-03-04T01:00')).toBe(Date.UTC(2021, 2, 4, 1));
    expect(fastUtc('2020-01-02T02:00')).toBe(Date.UTC(2020, 0, 2, 2));
  });
});
