import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../src/bars/timestamp.js';

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
});
