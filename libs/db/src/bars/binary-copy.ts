/** The shape of the quant core's BarSeries; a missing volume is NaN. */
export interface BarColumns {
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

// PostgreSQL's binary COPY format (docs: "COPY", "Binary Format"): an 11-byte signature, a
// 32-bit flags field and a header extension, then per row a 16-bit field count and per field a
// 32-bit length (-1 for NULL) and that many bytes, ending with a field count of -1.
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const FIELDS = 6;
const FLOAT8 = 8;

/**
 * Columns from `COPY (SELECT ts_ms, open, high, low, close, volume …) TO STDOUT (FORMAT binary)`,
 * every field a float8 and only volume nullable (NaN here). One pass counts the rows so the
 * arrays are allocated once at their size.
 */
export function barColumnsFromBinaryCopy(data: Buffer): BarColumns {
  if (data.length < 21 || !data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('bars: not a binary COPY stream');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const start = 19 + view.getInt32(15);

  let rows = 0;
  for (let at = start; ; rows++) {
    const fields = view.getInt16(at);
    if (fields === -1) break;
    if (fields !== FIELDS) throw new Error(`bars: a binary COPY row has ${fields} fields, expected ${FIELDS}`);
    at += 2;
    for (let field = 0; field < FIELDS; field++) at += 4 + Math.max(0, view.getInt32(at));
  }

  const columns: BarColumns = { ts: new Float64Array(rows), open: new Float64Array(rows), high: new Float64Array(rows), low: new Float64Array(rows), close: new Float64Array(rows), volume: new Float64Array(rows) };
  const order = [columns.ts, columns.open, columns.high, columns.low, columns.close, columns.volume];
  let at = start;
  for (let row = 0; row < rows; row++) {
    at += 2;
    for (const column of order) {
      const length = view.getInt32(at);
      at += 4;
      if (length === FLOAT8) {
        column[row] = view.getFloat64(at);
        at += FLOAT8;
      } else if (length === -1) {
        column[row] = Number.NaN;
      } else {
        throw new Error(`bars: a binary COPY field of ${length} bytes, expected a float8`);
      }
    }
  }
  return columns;
}
