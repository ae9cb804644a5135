// The fast timestamptz reader gives what pg's default reader (postgres-date) gives, for text
// that PostgreSQL itself printed, in time zones with odd offsets and at the edges.
import test from 'ava';
import { createRequire } from 'node:module';
import { parseTimestamptz } from '../lib/services/database/parseTimestamptz.ts';
import { useTestDatabase } from './helpers/testFile.ts';

const parseDate = createRequire(import.meta.url)('postgres-date') as (text: string) => Date | number | null;
const db = useTestDatabase(test, 'timestamptz');

const ZONES = ['UTC', 'Africa/Monrovia', 'Asia/Kolkata', 'America/St_Johns', 'Asia/Kathmandu', 'Europe/Amsterdam', 'Pacific/Chatham', 'America/Los_Angeles'];
const VALUES = [
  `now()`,
  `'2026-11-23 18:00:00+00'`,
  `'2026-03-29 01:59:59.999999+00'`,
  `'1999-12-31 23:59:59.5+00'`,
  `'1890-06-01 12:00:00.123+00'`, // local mean time then: Amsterdam +00:17:30, Kolkata +05:21:10
  `'0101-01-01 00:00:00+00'`,
  `'0050-01-01 00:00:00+00'`, // a year below 100
  `'2000-01-01 00:00:00+00 BC'`,
  `'12345-01-01 00:00:00+00'`,
  `'infinity'`,
  `'-infinity'`,
  `'2026-11-23 18:00:00.000001+00'`,
  `'2026-11-23 18:00:00.01+00'`,
];

test('it reads every timestamptz PostgreSQL prints as the default reader does', async (t) => {
  const texts: string[] = [];
  const client = await db().admin.createQueryRunner();
  try {
    for (const zone of ZONES) {
      await client.query(`SET TimeZone = '${zone}'`);
      const [row] = await client.query(`SELECT ARRAY[${VALUES.map((value) => `(${value})::timestamptz::text`).join(', ')}] AS texts`);
      texts.push(...(row.texts as string[]));
    }
    // Random instants over four centuries, with microseconds.
    await client.query(`SET TimeZone = 'Asia/Kathmandu'`);
    const [random] = await client.query(
      `SELECT array_agg((timestamptz '1800-01-01 00:00:00+00' + random() * interval '400 years')::text) AS texts FROM generate_series(1, 2000)`,
    );
    texts.push(...(random.texts as string[]));
  } finally {
    await client.release();
  }
  t.true(texts.some((text) => text.includes('+05:45')));
  t.true(texts.some((text) => /[+-]\d\d:\d\d:\d\d$/.test(text)));
  t.true(texts.some((text) => text.endsWith(' BC')));
  for (const text of texts) {
    const expected = parseDate(text);
    const actual = parseTimestamptz(text);
    t.is(typeof actual, typeof expected, text);
    t.is(actual instanceof Date ? actual.getTime() : actual, expected instanceof Date ? expected.getTime() : expected, text);
  }
});

test('queries return Dates read by it', async (t) => {
  const [row] = await db().admin.query(`SELECT timestamptz '2026-11-23 18:00:00.123456+05:45' AS at`);
  t.true(row.at instanceof Date);
  t.is(row.at.toISOString(), '2026-11-23T12:15:00.123Z');
});
