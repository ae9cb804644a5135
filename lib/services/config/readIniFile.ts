import { readFileSync } from 'node:fs';
import ini from 'ini';
import { ConfigError } from './errors.ts';
import { isDatatype, type Datatype } from './datatypes.ts';

export interface IniFile {
  path: string;
  /** section -> key -> raw text */
  values: Map<string, Map<string, string>>;
  /** section -> key -> datatype, from `# datatype:` comments above a key */
  datatypes: Map<string, Map<string, Datatype>>;
  /** section -> key -> the comment lines above the key (its documentation) */
  docs: Map<string, Map<string, string>>;
}

const SECTION = /^\s*\[([^\]]+)\]\s*$/;
// lazr writes `key: value`; the ini package reads `key = value`. Rewrite the first form.
const COLON_KEY = /^(\s*)([A-Za-z0-9_]+)\s*:(.*)$/;
const KEY = /^\s*([A-Za-z0-9_]+)\s*=/;
const DATATYPE = /^\s*#\s*datatype:\s*(\S+)\s*$/;

/** Read one lazr-like ini file: values through the ini package, datatypes from comments. */
export function readIniFile(path: string): IniFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const datatypes = new Map<string, Map<string, Datatype>>();
  const docs = new Map<string, Map<string, string>>();
  const lines: string[] = [];
  let section: string | undefined;
  let comments: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const where = `${path}:${index + 1}`;
    const sectionMatch = SECTION.exec(line);
    if (sectionMatch) {
      section = sectionMatch[1]!.trim();
      if (section.includes('.')) throw new ConfigError(`${where}: section name [${section}] may not contain a dot`);
      comments = [];
      lines.push(`[${section}]`);
      return;
    }
    if (/^\s*[#;]/.test(line)) {
      comments.push(line.replace(/^\s*[#;]\s?/, ''));
      lines.push(line);
      return;
    }
    if (line.trim() === '') {
      comments = [];
      lines.push(line);
      return;
    }
    const colon = COLON_KEY.exec(line);
    const rewritten = colon && !KEY.test(line) ? `${colon[1]}${colon[2]} = ${colon[3]!.trim()}` : line;
    const key = KEY.exec(rewritten)?.[1];
    if (!key) throw new ConfigError(`${where}: cannot parse line: ${line.trim()}`);
    if (section === undefined) throw new ConfigError(`${where}: key '${key}' comes before any [section]`);
    const datatypeComment = comments.map((c) => DATATYPE.exec(`# ${c}`)?.[1]).find(Boolean);
    if (datatypeComment !== undefined) {
      if (!isDatatype(datatypeComment)) throw new ConfigError(`${where}: unknown datatype '${datatypeComment}' for key '${key}'`);
      mapOf(datatypes, section).set(key, datatypeComment);
    }
    if (comments.length) mapOf(docs, section).set(key, comments.filter((c) => !DATATYPE.test(`# ${c}`)).join(' '));
    comments = [];
    lines.push(rewritten);
  });
  const parsed = ini.parse(lines.join('\n')) as Record<string, unknown>;
  const values = new Map<string, Map<string, string>>();
  for (const [name, body] of Object.entries(parsed)) {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ConfigError(`${path}: key '${name}' comes before any [section]`);
    }
    const keys = mapOf(values, name);
    for (const [key, value] of Object.entries(body)) keys.set(key, value === true ? 'true' : value === false ? 'false' : String(value));
  }
  return { path, values, datatypes, docs };
}

export function mapOf<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}
