import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

export const kafkaVersion = '3.9.1';
export const ferretDbVersion = 'v1.24.2';

const nonEmpty = (value: string | undefined): string | undefined =>
  value !== undefined && value.trim().length > 0 ? value.trim() : undefined;

/**
 * Downloads and builds live outside tracked files: `$COMMERCE_CACHE_DIR`, else `$XDG_CACHE_HOME/commerce-engine`,
 * else `~/.cache/commerce-engine`.
 */
export const cacheRoot = (env: Env = process.env): string => {
  const explicit = nonEmpty(env.COMMERCE_CACHE_DIR);
  if (explicit !== undefined) return resolve(explicit);
  const xdg = nonEmpty(env.XDG_CACHE_HOME);
  return join(xdg ?? join(homedir(), '.cache'), 'commerce-engine');
};

export const kafkaCacheDir = (env: Env = process.env): string => join(cacheRoot(env), `kafka-${kafkaVersion}`);
export const ferretDbCacheDir = (env: Env = process.env): string => join(cacheRoot(env), `ferretdb-${ferretDbVersion}`);

/** The repository root: the nearest folder above this file that holds a package.json (works from dist/ too). */
export const repoRoot = (): string => {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
};

/** State, env file and server logs: `.cache/services/` in the repository (gitignored), or `$COMMERCE_SERVICES_DIR`. */
export const servicesDir = (env: Env = process.env): string => {
  const explicit = nonEmpty(env.COMMERCE_SERVICES_DIR);
  return explicit !== undefined ? resolve(explicit) : join(repoRoot(), '.cache', 'services');
};
