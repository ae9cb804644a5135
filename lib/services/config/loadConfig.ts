import { dirname, resolve } from 'node:path';
import { fromRoot } from '../paths.ts';
import { parseValue, type ConfigValue, type Datatype } from './datatypes.ts';
import { ConfigError } from './errors.ts';
import { mapOf, readIniFile, type IniFile } from './readIniFile.ts';

/** The instance file read when JOBS_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = 'config/development.ini';

/** Keys every section may carry besides its declared ones. */
const SECTION_META_KEYS = new Set(['link']);

export interface KeyDeclaration {
  datatype: Datatype;
  doc: string;
}

/** One section, with `link:` resolved and every value parsed by its datatype. */
export class ConfigSection {
  constructor(
    readonly name: string,
    private readonly values: ReadonlyMap<string, ConfigValue>,
    private readonly declarations: ReadonlyMap<string, KeyDeclaration>,
    private readonly file: string,
  ) {}

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** True when the schema (or the section it links to) declares `key` for this section. */
  declares(key: string): boolean {
    return this.declarations.has(key);
  }

  private value(key: string, datatype: Datatype | Datatype[]): ConfigValue {
    const wanted = Array.isArray(datatype) ? datatype : [datatype];
    const declaration = this.declarations.get(key);
    if (!declaration) throw new ConfigError(`[${this.name}] has no key '${key}' in the config schema`);
    if (!wanted.includes(declaration.datatype)) {
      throw new ConfigError(`[${this.name}] ${key} is declared as ${declaration.datatype}, not ${wanted.join(' or ')}`);
    }
    const value = this.values.get(key);
    if (value === undefined || value === '') {
      throw new ConfigError(`[${this.name}] is missing '${key}' (${declaration.datatype}: ${declaration.doc || 'no description'}) in ${this.file}`);
    }
    return value;
  }

  /** The value, or `undefined` when the key is empty. */
  optional<T extends ConfigValue>(key: string): T | undefined {
    const value = this.values.get(key);
    return value === undefined || value === '' ? undefined : (value as T);
  }

  string(key: string): string {
    return this.value(key, ['string', 'path']) as string;
  }
  integer(key: string): number {
    return this.value(key, 'integer') as number;
  }
  number(key: string): number {
    return this.value(key, ['float', 'integer']) as number;
  }
  boolean(key: string): boolean {
    return this.value(key, 'boolean') as boolean;
  }
  /** Milliseconds. */
  duration(key: string): number {
    return this.value(key, 'duration') as number;
  }
  list(key: string): string[] {
    return this.value(key, 'list') as string[];
  }
}

/** A whole configuration: an instance file, its `extends:` chain down to the schema. */
export class Config {
  constructor(
    readonly file: string,
    readonly sections: ReadonlyMap<string, ConfigSection>,
  ) {}

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  section(name: string): ConfigSection {
    const section = this.sections.get(name);
    if (!section) {
      throw new ConfigError(`unknown config section [${name}] in ${this.file}; sections: ${this.sectionNames().join(', ')}`);
    }
    return section;
  }
}

/** The file chain from the instance file to the root schema, root first. */
function readChain(file: string): IniFile[] {
  const chain: IniFile[] = [];
  const seen = new Set<string>();
  for (let path: string | undefined = file; path !== undefined; ) {
    if (seen.has(path)) throw new ConfigError(`config files extend each other in a loop: ${[...seen, path].join(' -> ')}`);
    seen.add(path);
    const ini = readIniFile(path);
    chain.unshift(ini);
    const parent = ini.values.get('meta')?.get('extends');
    path = parent ? resolve(dirname(path), parent) : undefined;
  }
  return chain;
}

/**
 * The instance file: JOBS_CONFIG, or config/development.ini when it is not set. Set but empty
 * (`JOBS_CONFIG=` in a crontab) is a mistake, not a request for the development config.
 */
export function configFileFromEnvironment(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.JOBS_CONFIG;
  if (named === undefined) return fromRoot(DEFAULT_CONFIG_FILE);
  if (named.trim() === '') {
    throw new ConfigError(`JOBS_CONFIG is set but empty: set it to the instance config file (e.g. JOBS_CONFIG=/srv/jobsystem/config/production.ini), or unset it to use ${DEFAULT_CONFIG_FILE}`);
  }
  return named;
}

/** An empty file, or one that extends no schema, is named for what it is, not for a key it lacks. */
function checkChain(chain: IniFile[]): void {
  const instance = chain.at(-1)!;
  if (instance.values.size === 0 && instance.datatypes.size === 0) {
    throw new ConfigError(`config file ${instance.path} is empty: an instance file starts with "[meta]" and "extends: <path of config/schema.ini, relative to the file>"`);
  }
  const root = chain[0]!;
  if (root.datatypes.size === 0) {
    throw new ConfigError(`config file ${root.path} has no [meta] extends: an instance file must extend the schema; add "[meta]" and "extends: <path of config/schema.ini, relative to the file>" at its top`);
  }
}

/**
 * Load and validate a configuration. Every problem is found here, at start-up, and reported
 * as one ConfigError line naming the file, section and key.
 */
export function loadConfig(file: string = configFileFromEnvironment()): Config {
  const chain = readChain(resolve(file));
  checkChain(chain);
  // Declarations (datatype and documentation) may come from any file in the chain; values
  // from later files override earlier ones.
  const declarations = new Map<string, Map<string, KeyDeclaration>>();
  const raw = new Map<string, Map<string, { text: string; file: string }>>();
  for (const ini of chain) {
    for (const [section, types] of ini.datatypes) {
      for (const [key, datatype] of types) {
        mapOf(declarations, section).set(key, { datatype, doc: ini.docs.get(section)?.get(key) ?? '' });
      }
    }
    for (const [section, keys] of ini.values) {
      if (section === 'meta') continue;
      for (const [key, text] of keys) mapOf(raw, section).set(key, { text, file: ini.path });
    }
  }

  const resolveLinks = (section: string, trail: string[]): Map<string, { text: string; file: string }> => {
    if (trail.includes(section)) throw new ConfigError(`config sections link to each other in a loop: ${[...trail, section].join(' -> ')}`);
    const own = raw.get(section);
    if (!own) throw new ConfigError(`[${trail.at(-1)}] links to unknown section [${section}]`);
    const target = own.get('link')?.text;
    if (!target) return new Map(own);
    const merged = resolveLinks(target, [...trail, section]);
    for (const [key, value] of own) merged.set(key, value);
    return merged;
  };
  const declarationsFor = (section: string, trail: string[] = []): Map<string, KeyDeclaration> => {
    const target = raw.get(section)?.get('link')?.text;
    const inherited = target && !trail.includes(target) ? declarationsFor(target, [...trail, section]) : new Map();
    return new Map([...inherited, ...(declarations.get(section) ?? new Map())]);
  };

  const sections = new Map<string, ConfigSection>();
  for (const name of raw.keys()) {
    const merged = resolveLinks(name, []);
    const declared = declarationsFor(name);
    const values = new Map<string, ConfigValue>();
    for (const [key, { text, file: where }] of merged) {
      if (SECTION_META_KEYS.has(key)) continue;
      const declaration = declared.get(key);
      if (!declaration) {
        const known = [...declared.keys()].join(', ') || 'none';
        throw new ConfigError(`${where}: [${name}] ${key} is not a key of this section (known keys: ${known})`);
      }
      const value = parseValue(declaration.datatype, text);
      if (typeof value === 'object' && !Array.isArray(value)) {
        throw new ConfigError(`${where}: [${name}] ${key}: '${text}' is not ${value.expected}`);
      }
      values.set(key, value);
    }
    sections.set(name, new ConfigSection(name, values, declared, chain.at(-1)!.path));
  }
  return new Config(chain.at(-1)!.path, sections);
}
