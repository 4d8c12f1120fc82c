import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

/** Static import graph of the project's TypeScript sources, for the dependency-rule and cycle tests. */
export interface ModuleImports {
  readonly relative: readonly string[];
  readonly packages: readonly string[];
}
export type ImportGraph = ReadonlyMap<string, ModuleImports>;

const root = resolve(__dirname, '..');
const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return walk(path);
    return /\.tsx?$/.test(entry) && !entry.endsWith('.d.ts') ? [path] : [];
  });

const resolveRelative = (from: string, spec: string): string => {
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return candidate;
  }
  return `${base}.ts`;
};

export const importGraph = (folders: readonly string[]): ImportGraph => {
  const graph = new Map<string, ModuleImports>();
  for (const folder of folders) {
    const abs = join(root, folder);
    if (!existsSync(abs)) continue;
    for (const file of walk(abs)) {
      // type-only imports vanish at runtime but still couple layers, so they count too
      const source = readFileSync(file, 'utf8');
      const rel: string[] = [];
      const pkgs: string[] = [];
      for (const match of source.matchAll(importPattern)) {
        const spec = match[1] ?? match[2] ?? match[3] ?? match[4];
        if (spec === undefined) continue;
        if (spec.startsWith('.')) rel.push(relative(root, resolveRelative(file, spec)));
        else pkgs.push(spec);
      }
      graph.set(relative(root, file), { relative: rel, packages: pkgs });
    }
  }
  return graph;
};

/**
 * The layers, lowest first: a file may import files of its own layer and of the layers below it, never above.
 * Folders of one layer (commands, projections) may import each other; the cycle test keeps that honest.
 */
export const layers: readonly (readonly string[])[] = [
  ['domain'],
  ['ports'],
  ['http'],
  ['commands', 'projections'],
  ['read-api', 'dashboard'],
  ['infra'],
  ['app'],
  ['tools'],
  ['bench', 'test'],
];

const rankOf = (file: string): number | undefined => {
  const top = file.split('/')[0] ?? file;
  const rank = layers.findIndex((layer) => layer.includes(top));
  return rank < 0 ? undefined : rank;
};

const nodeBuiltins = new Set(builtinModules);

export const layerViolations = (graph: ImportGraph): string[] => {
  const violations: string[] = [];
  for (const [file, imports] of graph) {
    const rank = rankOf(file);
    if (rank === undefined) continue;
    for (const target of imports.relative) {
      const targetRank = rankOf(target);
      if (targetRank === undefined || targetRank > rank) violations.push(`${file} imports ${target}`);
    }
    if (!file.startsWith('domain/')) continue;
    for (const pkg of imports.packages) {
      if (pkg.startsWith('node:') || nodeBuiltins.has(pkg.split('/')[0] ?? pkg)) {
        violations.push(`${file} imports node built-in ${pkg}`);
      }
    }
  }
  return violations;
};

/** Strongly connected components with more than one module (or a self-import), via Tarjan's algorithm. */
export const findCycles = (graph: ImportGraph): string[][] => {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];

  const connect = (node: string): void => {
    indexOf.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node)?.relative ?? []) {
      if (!graph.has(next)) continue;
      if (!indexOf.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, indexOf.get(next) ?? 0));
      }
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      const selfImport = graph.get(node)?.relative.includes(node) ?? false;
      if (component.length > 1 || selfImport) cycles.push(component.sort());
    }
  };

  for (const node of [...graph.keys()].sort()) if (!indexOf.has(node)) connect(node);
  return cycles;
};

const impure: readonly [RegExp, string][] = [
  [/\bDate\.now\s*\(/, 'reads the clock (Date.now)'],
  [/\bnew Date\s*\(\s*\)/, 'reads the clock (new Date())'],
  [/\bMath\.random\s*\(/, 'uses randomness (Math.random)'],
  [/\bprocess\./, 'touches the process'],
  [/\bcrypto\./, 'uses crypto'],
  [/\bsetTimeout\s*\(|\bsetInterval\s*\(/, 'schedules timers'],
];

/** Domain code must be deterministic: no clock, randomness, timers or process access. */
export const domainImpurities = (): string[] => {
  const abs = join(root, 'domain');
  if (!existsSync(abs)) return [];
  return walk(abs)
    .filter((file) => !file.endsWith('.spec.ts'))
    .flatMap((file) => {
      const source = readFileSync(file, 'utf8');
      return impure.filter(([pattern]) => pattern.test(source)).map(([, what]) => `${relative(root, file)} ${what}`);
    });
};
