/**
 * Imports run one way: CLI -> commands -> library (migrator, client,
 * operations, schema, cluster) -> db drivers -> config/util. Every import and
 * export-from of every file under src/ (static, `import()`, and type-only
 * ones too: a type import is still a dependency on the higher layer) must
 * name a file of the same layer or a lower one. And the programmatic API
 * (src/index.ts) loads no CLI library: its runtime import graph reaches
 * neither commander, src/cli/**, csv-parse nor pg-copy-streams.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src');

/** Each file's layer, by its path under src/ (first match wins); higher imports lower, never the other way. */
const LAYERS: readonly { rank: number; name: string; matches: (path: string) => boolean }[] = [
  { rank: 5, name: 'cli', matches: (p) => p.startsWith('cli/') },
  { rank: 4, name: 'commands', matches: (p) => p.startsWith('commands/') || p === 'index.ts' },
  {
    rank: 3,
    name: 'library',
    matches: (p) => ['migrator/', 'client/', 'operations/', 'schema/', 'cluster/'].some((dir) => p.startsWith(dir)),
  },
  { rank: 2, name: 'db', matches: (p) => p.startsWith('db/') },
  {
    rank: 1,
    name: 'config/util',
    matches: (p) => p.startsWith('config/') || p.startsWith('util/') || p === 'errors.ts' || p === 'sql-files.ts',
  },
];

/**
 * Backward imports known and left for their owners, each with why. An entry
 * that no longer matches an import fails the test, so that it is removed once
 * the import is fixed.
 */
const KNOWN_BACKWARD: readonly { from: string; to: string; why: string }[] = [];

/** Packages and folders the programmatic API must not load at start-up. */
const NOT_FROM_THE_API = ['commander', 'csv-parse', 'pg-copy-streams'];

interface Reference {
  specifier: string;
  /** A static import or export-from (not `import()`). */
  static: boolean;
  /** Erased at compile time: `import type`, `export type`, or every named binding marked `type`. */
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every module a file names: import and export-from declarations, and `import('…')` calls with a literal. */
function referencesOf(file: string, text = readFileSync(file, 'utf8')): Reference[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: Reference[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, static: true, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, static: true, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, static: false, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, static: true, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The source file a relative specifier names (`./x.js` is ./x.ts), or undefined for a package. */
function resolveRelative(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return resolve(dirname(from), specifier).replace(/\.js$/, '.ts');
}

/** The package a bare specifier names (`pg-copy-streams`, `@electric-sql/pglite`, `zod` for `zod/v3`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const underSrc = (file: string): string => relative(srcDir, file).split(sep).join('/');

function layerOf(file: string): { rank: number; name: string } | undefined {
  return LAYERS.find((layer) => layer.matches(underSrc(file)));
}

/** Every import of a higher layer, as "from -> to (layer rank -> layer rank)". */
function backwardImports(files: readonly string[], read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const from = layerOf(file)!;
    for (const reference of referencesOf(file, read(file))) {
      const target = resolveRelative(file, reference.specifier);
      if (target === undefined || !target.startsWith(srcDir + sep)) continue;
      const to = layerOf(target);
      if (to === undefined) {
        problems.push(`${underSrc(file)} -> ${underSrc(target)} (a file of no layer)`);
      } else if (to.rank > from.rank) {
        problems.push(`${underSrc(file)} -> ${underSrc(target)} (${from.name} ${from.rank} imports ${to.name} ${to.rank})`);
      }
    }
  }
  return problems;
}

const files = sourceFiles(srcDir);

describe('layering: imports run one way', () => {
  it('every file under src/ belongs to a layer', () => {
    expect(files.filter((file) => layerOf(file) === undefined).map(underSrc)).toEqual([]);
  });

  it('no file imports a higher layer (static, dynamic and type-only imports alike)', () => {
    const known = (problem: string) => KNOWN_BACKWARD.some((k) => problem.startsWith(`${k.from} -> ${k.to} `));
    const problems = backwardImports(files);
    expect(problems.filter((p) => !known(p))).toEqual([]);
    // An exception that matches nothing any more is stale: remove it.
    expect(KNOWN_BACKWARD.filter((k) => !problems.some((p) => p.startsWith(`${k.from} -> ${k.to} `)))).toEqual([]);
  });

  it('catches a backward import, a type-only one and a dynamic one', () => {
    const dbFile = join(srcDir, 'db', 'open.ts');
    const commandsFile = join(srcDir, 'commands', 'status.ts');
    const withLine = (file: string, line: string) => (f: string) => (f === file ? `${line}\n${readFileSync(f, 'utf8')}` : '');
    expect(backwardImports([dbFile], withLine(dbFile, "import { Migrator } from '../migrator/migrator.js';"))).toEqual([
      'db/open.ts -> migrator/migrator.ts (db 2 imports library 3)',
    ]);
    expect(backwardImports([commandsFile], withLine(commandsFile, "import type { Command } from '../cli/context.js';"))).toEqual([
      'commands/status.ts -> cli/context.ts (commands 4 imports cli 5)',
    ]);
    expect(backwardImports([dbFile], withLine(dbFile, "export type * from '../config/../commands/runtime.js';"))).toEqual([
      'db/open.ts -> commands/runtime.ts (db 2 imports commands 4)',
    ]);
    expect(backwardImports([commandsFile], withLine(commandsFile, "const load = () => import('../cli/program.js'); void load;"))).toEqual([
      'commands/status.ts -> cli/program.ts (commands 4 imports cli 5)',
    ]);
  });
});

describe('the programmatic API (src/index.ts) loads no CLI library', () => {
  /** What loading a file loads: its static imports that survive compilation, followed through src/. */
  function runtimeGraph(entry: string): { files: Set<string>; packages: Map<string, string> } {
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const pending = [entry];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const reference of referencesOf(file)) {
        if (!reference.static || reference.typeOnly) continue;
        const target = resolveRelative(file, reference.specifier);
        if (target !== undefined) pending.push(target);
        else if (!reference.specifier.startsWith('node:')) packages.set(packageOf(reference.specifier), underSrc(file));
      }
    }
    return { files: seen, packages };
  }

  it('never reaches commander, src/cli/**, csv-parse or pg-copy-streams at load time', () => {
    const { files: loaded, packages } = runtimeGraph(join(srcDir, 'index.ts'));
    expect(loaded.size).toBeGreaterThan(10);
    expect([...loaded].map(underSrc).filter((file) => file.startsWith('cli/'))).toEqual([]);
    expect(NOT_FROM_THE_API.filter((name) => packages.has(name)).map((name) => `${name} (from ${packages.get(name)})`)).toEqual([]);
    // The walk does see packages: the API loads zod (the configuration), for instance.
    expect(packages.has('zod')).toBe(true);
  });

  it('the CLI is what loads commander (the walk would notice it)', () => {
    const { packages } = runtimeGraph(join(srcDir, 'cli', 'main.ts'));
    expect(packages.has('commander')).toBe(true);
  });
});
