// A faster reader of PostgreSQL's timestamptz text than pg's default (postgres-date): a claim
// returns three timestamps per job, and with three regular expressions per value the default
// was the runner's largest CPU cost after garbage collection (~10% of a 100,000-job run). The
// fast path reads the one shape PostgreSQL prints with DateStyle ISO,
// `YYYY-MM-DD HH:MM:SS[.ffffff]+HH[:MM[:SS]]`, by character position; anything else
// (infinity, BC, a five-digit year) goes to the default parser, whose results it equals.
import pg from 'pg';

const TIMESTAMPTZ_OID = 1184;
const defaultParser = pg.types.getTypeParser(TIMESTAMPTZ_OID, 'text') as (text: string) => Date | number | null;

const ZERO = 48;

function digits(text: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/** The Date for one timestamptz value as PostgreSQL prints it. */
export function parseTimestamptz(text: string): Date | number | null {
  // Fixed positions of `YYYY-MM-DD HH:MM:SS`; a year of five digits or a BC date is not this shape.
  if (text.length < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) {
    return defaultParser(text);
  }
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    // Fraction: its first three digits are the milliseconds (the default truncates too).
    let scale = 100;
    for (i++; i < text.length; i++) {
      const digit = text.charCodeAt(i) - ZERO;
      if (digit < 0 || digit > 9) break;
      ms += digit * scale;
      scale /= 10;
    }
    ms = Math.trunc(ms);
  }
  const sign = text.charCodeAt(i);
  if (sign !== 43 && sign !== 45) return defaultParser(text);
  const rest = text.length - i - 1;
  if (rest !== 2 && rest !== 5 && rest !== 8) return defaultParser(text);
  const offsetHours = digits(text, i + 1, 2);
  const offsetMinutes = rest >= 5 && text.charCodeAt(i + 3) === 58 ? digits(text, i + 4, 2) : rest >= 5 ? NaN : 0;
  const offsetSeconds = rest === 8 && text.charCodeAt(i + 6) === 58 ? digits(text, i + 7, 2) : rest === 8 ? NaN : 0;
  const year = digits(text, 0, 4);
  if (year < 100) return defaultParser(text); // Date.UTC reads years 0-99 as 1900-1999
  const utc = Date.UTC(year, digits(text, 5, 2) - 1, digits(text, 8, 2), digits(text, 11, 2), digits(text, 14, 2), digits(text, 17, 2), ms);
  const offsetMs = (offsetHours * 3600 + offsetMinutes * 60 + offsetSeconds) * 1000 * (sign === 45 ? -1 : 1);
  const time = utc - offsetMs;
  return Number.isNaN(time) ? defaultParser(text) : new Date(time);
}

/** Make every pg client of this process read timestamptz with parseTimestamptz. */
export function useFastTimestamptz(): void {
  pg.types.setTypeParser(TIMESTAMPTZ_OID, parseTimestamptz);
}
