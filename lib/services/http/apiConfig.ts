import type { Config } from '../config/loadConfig.ts';
import { ConfigError } from '../config/errors.ts';
import { loadApiTokens, type ApiToken } from './apiTokens.ts';

/** [jobs_api] of the config, checked, with its tokens read. */
export interface ApiConfig {
  host: string;
  port: number;
  tokens: ApiToken[];
  bodyLimit: number;
  poolSize: number;
  maxPageSize: number;
}

export function readApiConfig(config: Config, env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const section = config.section('jobs_api');
  const port = section.integer('port');
  if (port < 0 || port > 65_535) throw new ConfigError(`[jobs_api] port must be from 0 to 65535, not ${port}`);
  const positive = (key: string, max: number) => {
    const value = section.integer(key);
    if (value < 1 || value > max) throw new ConfigError(`[jobs_api] ${key} must be from 1 to ${max}, not ${value}`);
    return value;
  };
  return {
    host: section.string('host'),
    port,
    tokens: loadApiTokens(section.optional<string[]>('tokens') ?? [], env),
    bodyLimit: positive('body_limit', 10 * 1024 * 1024),
    poolSize: positive('pool_size', 1000),
    maxPageSize: positive('max_page_size', 1000),
  };
}
