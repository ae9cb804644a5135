import { fromRoot } from '../paths.ts';

/** The datatypes a key may declare with `# datatype: NAME` in the schema. */
export const DATATYPES = ['string', 'integer', 'float', 'boolean', 'duration', 'path', 'list'] as const;
export type Datatype = (typeof DATATYPES)[number];
export type ConfigValue = string | number | boolean | string[];

export function isDatatype(name: string): name is Datatype {
  return (DATATYPES as readonly string[]).includes(name);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse `raw` as `datatype`; a string describing what was expected when it does not fit. */
export function parseValue(datatype: Datatype, raw: string): ConfigValue | { expected: string } {
  const text = raw.trim();
  switch (datatype) {
    case 'string':
      return text;
    case 'path':
      return text === '' ? '' : fromRoot(text);
    case 'list':
      return text === '' ? [] : text.split(',').map((item) => item.trim()).filter(Boolean);
    case 'integer':
      return /^-?\d+$/.test(text) ? Number(text) : { expected: 'an integer' };
    case 'float':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : { expected: 'a number' };
    case 'boolean':
      if (/^(true|yes|on|1)$/i.test(text)) return true;
      if (/^(false|no|off|0)$/i.test(text)) return false;
      return { expected: 'a boolean (true or false)' };
    case 'duration': {
      // "30s", "10m", "1.5h", "250ms"; a bare number is seconds. Stored in milliseconds.
      const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text);
      if (!match) return { expected: 'a duration such as 30s, 10m or 2h' };
      return Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? 's']!);
    }
  }
}
