import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

/**
 * `npm test` must pass on a machine with nothing but the toolchains, so no spec it runs may launch a browser;
 * those run under `npm run test:browser`, which finds or installs Chromium first. The files each command runs
 * are computed by mocha's own option loading and file lookup, from the scripts in package.json.
 */

const root = resolve(__dirname, '../..');

interface MochaOptions {
  readonly _: readonly string[];
  readonly ignore?: readonly string[];
  readonly extension?: readonly string[];
  readonly file?: readonly string[];
  readonly recursive?: boolean;
  readonly sort?: boolean;
}
type LoadOptions = (argv: readonly string[]) => MochaOptions;
type CollectFiles = (options: {
  readonly ignore: readonly string[];
  readonly extension: readonly string[];
  readonly file: readonly string[];
  readonly recursive: boolean;
  readonly sort: boolean;
  readonly spec: readonly string[];
  readonly allowEmpty: boolean;
}) => { readonly files: readonly string[] };

// mocha's CLI internals, so the lookup is exactly the one `mocha` does (its globbing and `ignore` matching)
const mochaRequire = createRequire(join(root, 'package.json'));
const { loadOptions } = mochaRequire('mocha/lib/cli/options.cjs') as { loadOptions: LoadOptions };
const collectFiles = mochaRequire('mocha/lib/cli/collect-files.cjs') as CollectFiles;

const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;

/** The arguments a script passes to mocha: `mocha "a" --config b` → ["a", "--config", "b"]. */
const mochaArgs = (script: string): string[] => {
  const command = script
    .split('&&')
    .map((part) => part.trim())
    .find((part) => /^(npx )?mocha\b/.test(part));
  if (command === undefined) throw new Error(`no mocha command in "${script}"`);
  const words = [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  return words.slice(words.indexOf('mocha') + 1);
};

/** The spec files `mocha <args>` would load, relative to the repository. */
const specsRunBy = (args: readonly string[]): string[] => {
  const previous = process.cwd();
  process.chdir(root);
  try {
    const options = loadOptions(args);
    return collectFiles({
      ignore: options.ignore ?? [],
      extension: options.extension ?? [],
      file: options.file ?? [],
      recursive: options.recursive ?? false,
      sort: options.sort ?? false,
      spec: options._,
      allowEmpty: true,
    }).files.map((file) => relative(root, file));
  } finally {
    process.chdir(previous);
  }
};

const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sources(path);
    return entry.endsWith('.spec.ts') ? [relative(root, path)] : [];
  });

/** A spec launches a browser when it calls the harness's launcher or Playwright's, or imports Playwright's values. */
export const launchesBrowser = (source: string): boolean =>
  /\blaunchChromium\s*\(|\.launch(?:PersistentContext)?\s*\(/.test(source) ||
  /^\s*import\s+(?!type\b)[^;]*from\s+['"]playwright(?:-core)?['"]/m.test(source);

describe('the test commands', () => {
  const specs = [
    'domain',
    'ports',
    'http',
    'commands',
    'projections',
    'read-api',
    'infra',
    'app',
    'dashboard',
    'tools',
    'test',
    'bench',
  ].flatMap((dir) => {
    try {
      return sources(join(root, dir));
    } catch {
      return [];
    }
  });
  const self = relative(root, __filename);
  // this file names the launchers in its own examples
  const browserSpecs = specs.filter((file) => file !== self && launchesBrowser(readFileSync(join(root, file), 'utf8')));

  it('has browser specs to keep apart, named *.browser.spec.ts', () => {
    expect(browserSpecs).to.include('test/dashboard/dashboard.browser.spec.ts');
    for (const file of browserSpecs) expect(file).to.match(/\.browser\.spec\.ts$/);
  });

  it('runs no spec that launches a browser under npm test, so it passes without Chromium', () => {
    const run = specsRunBy(mochaArgs(scripts.test ?? ''));
    expect(run).to.include('test/dashboard/page-modules.unit.spec.ts');
    expect(run.filter((file) => browserSpecs.includes(file))).to.deep.equal([]);
  });

  it('runs every browser spec under npm run test:browser, after finding or installing Chromium', () => {
    const script = scripts['test:browser'] ?? '';
    expect(script).to.match(/^bash tools\/services\/install-chromium\.sh && /);
    expect(specsRunBy(mochaArgs(script))).to.have.members(browserSpecs);
  });

  describe('its browser detector', () => {
    it('recognises a spec that launches Chromium and leaves type-only imports alone', () => {
      expect(
        launchesBrowser("import { launchChromium } from './harness';\nbrowser = await launchChromium();"),
      ).to.equal(true);
      expect(launchesBrowser("import { chromium } from 'playwright-core';")).to.equal(true);
      expect(
        launchesBrowser("import type { Page } from 'playwright-core';\nimport { eventually } from './h';"),
      ).to.equal(false);
    });
  });
});
