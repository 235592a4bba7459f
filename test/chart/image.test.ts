// The Dockerfile and .dockerignore, checked without a container engine (none on the test machine):
// the runtime stage is distroless Node 24 running the CLI as 65532, the user the injector and the
// chart run it as; only production dependencies reach it, and they cover every import of the
// shipped code; the build context is an allow-list that keeps node_modules, tests, benchmarks and
// .git out and lets in everything the Dockerfile copies.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { SIDECAR_UID } from '../../operator/inject/constants.ts';
import { buildSidecar } from '../../operator/inject/sidecar.ts';
import { goldenPolicy, settings } from '../operator/support.ts';
import { repoRoot } from './render.ts';

interface Instruction {
  readonly op: string;
  readonly args: string;
}

interface Stage {
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

/** Stages of a Dockerfile: line continuations joined, comments dropped, ARG defaults substituted in FROM. */
function parseDockerfile(text: string): Stage[] {
  const lines = text
    .split('\n')
    .filter((l) => !/^\s*#/u.test(l))
    .join('\n')
    .replace(/\\\n/gu, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/su.exec(line)!;
    const op = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/gu, ' ');
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/iu.exec(args)!;
      const base = from[1]!.replace(/\$\{(\w+)\}|\$(\w+)/gu, (_, a?: string, b?: string) => globalArgs.get((a ?? b)!) ?? '');
      stages.push({ base, name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      if (op === 'ARG') {
        const [k, v] = args.split('=');
        globalArgs.set(k!, v ?? '');
      }
    } else {
      stages[stages.length - 1]!.instructions.push({ op, args });
    }
  }
  return stages;
}

/** What .dockerignore decides for a path, with the rules of moby/patternmatcher (last match wins; a pattern matching a parent directory applies to what is inside). */
class DockerIgnore {
  private readonly patterns: { re: RegExp; exclude: boolean }[];
  constructor(text: string) {
    this.patterns = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const negate = l.startsWith('!');
        const p = (negate ? l.slice(1) : l).replace(/^\/+|\/+$/gu, '');
        return { re: DockerIgnore.toRegExp(p), exclude: !negate };
      });
  }
  private static toRegExp(pattern: string): RegExp {
    let re = '';
    for (let i = 0; i < pattern.length; i++) {
      const c = pattern[i]!;
      if (c === '*' && pattern[i + 1] === '*') {
        // `**/` (or a trailing `**`) spans any number of directories
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else if (c === '*') re += '[^/]*';
      else if (c === '?') re += '[^/]';
      else re += c.replace(/[.+^${}()|[\]\\]/gu, '\\$&');
    }
    return new RegExp(`^${re}$`, 'u');
  }
  /** whether the path (relative, with /) is sent to the builder */
  includes(path: string): boolean {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { re, exclude } of this.patterns) if (prefixes.some((p) => re.test(p))) excluded = exclude;
    return !excluded;
  }
}

const dockerfile = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
const runtime = dockerfile[dockerfile.length - 1]!;
const ignore = new DockerIgnore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const buildConfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.build.json'), 'utf8')) as { include: string[] };

const stage = (name: string): Stage => {
  const s = dockerfile.find((x) => x.name === name);
  if (!s) throw new Error(`no stage ${name} in the Dockerfile`);
  return s;
};
const ops = (s: Stage, op: string): string[] => s.instructions.filter((i) => i.op === op).map((i) => i.args);
/** COPY sources taken from the build context (not --from another stage) */
const contextCopies = (s: Stage): string[] => ops(s, 'COPY').filter((a) => !a.startsWith('--from=')).flatMap((a) => a.split(' ').filter((w) => !w.startsWith('--')).slice(0, -1));
/** COPY --from=<stage> <src> <dest> */
const stageCopies = (s: Stage): { from: string; src: string; dest: string }[] =>
  ops(s, 'COPY')
    .map((a) => /^--from=(\S+) (\S+) (\S+)$/u.exec(a))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ from: m[1]!, src: m[2]!, dest: m[3]! }));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

describe('image: Dockerfile and .dockerignore', () => {
  it('runs the CLI on distroless Node 24 as 65532, the injector\'s UID, with no shell', () => {
    expect(runtime.base).to.match(/^gcr\.io\/distroless\/nodejs24-debian12:nonroot(@sha256:[0-9a-f]{64})?$/u);
    expect(ops(runtime, 'USER')).to.deep.equal([`${SIDECAR_UID}:${SIDECAR_UID}`]);
    expect(ops(runtime, 'RUN'), 'the runtime stage has no shell to run commands with').to.deep.equal([]);
    const entrypoint = JSON.parse(ops(runtime, 'ENTRYPOINT')[0]!) as string[];
    expect(entrypoint).to.deep.equal(['/nodejs/bin/node', `/app/${pkg.bin['mcp-residency']!}`]);
    expect(ops(runtime, 'CMD')).to.deep.equal([]);

    // The injector sets only the arguments (the image's entrypoint is the CLI) and the same user.
    const { container } = buildSidecar({ settings: settings.sidecar, namespace: 'ns', policy: goldenPolicy(), upstreamPort: 8080, tokenVolume: undefined });
    expect(container.command).to.equal(undefined);
    expect(container.args![0]).to.equal('sidecar');
    expect([container.securityContext?.runAsUser, container.securityContext?.runAsGroup]).to.deep.equal([SIDECAR_UID, SIDECAR_UID]);
  });

  it('builds with dev dependencies, ships production dependencies only, readable by the runtime user', () => {
    for (const s of dockerfile.slice(0, -1).filter((x) => x.name !== 'helper')) expect(s.base, `stage ${s.name ?? '?'}`).to.match(/^node:24[-.]/u);
    // The capture helper: static Go, at the path `make build` gives it in a checkout.
    expect(stage('helper').base).to.match(/^golang:1\.\d+/u);
    expect(ops(stage('helper'), 'RUN').join('\n')).to.match(/CGO_ENABLED=0 go build/u);
    expect(stageCopies(stage('app'))).to.deep.include({ from: 'helper', src: '/out/mcp-residency-nft', dest: './dist/bin/mcp-residency-nft' });
    expect(ops(stage('build'), 'RUN').join('\n')).to.match(/npm ci\b(?!.*--omit=dev)/u).and.to.match(/npm run build/u);
    expect(ops(stage('deps'), 'RUN').join('\n')).to.match(/npm ci --omit=dev/u);
    const app = stage('app');
    expect(stageCopies(app)).to.deep.include.members([
      { from: 'deps', src: '/src/node_modules', dest: './node_modules' },
      { from: 'build', src: '/src/dist', dest: './dist' },
    ]);
    expect(contextCopies(app)).to.have.members(['package.json', 'examples', 'crds']);
    expect(ops(app, 'RUN').join('\n')).to.match(/chmod -R a\+rX,go-w \/app/u);
    expect(stageCopies(runtime)).to.deep.equal([{ from: 'app', src: '/app', dest: '/app' }]);
    expect(ops(runtime, 'WORKDIR')).to.deep.equal(['/app']);

    // The build stage compiles every directory tsconfig.build.json compiles, and has the script
    // that puts the run-time data files beside the compiled code (npm run build runs it).
    const compiled = contextCopies(stage('build')).filter((c) => !c.endsWith('.json'));
    expect(compiled).to.have.members([...buildConfig.include, 'scripts/copy-assets.ts']);
    expect(pkg.scripts.build).to.include('scripts/copy-assets.ts');
  });

  it('.dockerignore sends what the Dockerfile copies and keeps node_modules, tests, bench, dist and .git out', () => {
    for (const p of ['node_modules/yaml/package.json', 'test/chart/chart.test.ts', 'bench/gateway/run.ts', '.git/HEAD', '.git/config', 'dist/cli/main.js', 'tmp/x.mts', 'charts/mcp-residency/Chart.yaml', '.env', 'README.md', 'sidecar/node_modules/x/index.js', 'policy/schema.test.ts', 'npm-debug.log', '.ci/run']) {
      expect(ignore.includes(p), `${p} must stay out of the build context`).to.equal(false);
    }
    const tracked = execFileSync('git', ['ls-files'], { cwd: repoRoot, encoding: 'utf8' }).split('\n').filter(Boolean);
    const copied = [...dockerfile.flatMap(contextCopies)];
    expect(copied.length).to.be.greaterThan(0);
    for (const src of copied) {
      const files = tracked.filter((f) => f === src || f.startsWith(`${src}/`));
      expect(files, `${src} is copied but not in the repository`).to.not.be.empty;
      for (const f of files) expect(ignore.includes(f), `${f} is needed by the Dockerfile but .dockerignore drops it`).to.equal(true);
    }
  });

  it('production dependencies cover every package the shipped code imports, and none has an install script', () => {
    const builtins = new Set(builtinModules);
    const missing: string[] = [];
    for (const dir of buildConfig.include) {
      for (const file of walk(join(repoRoot, dir)).filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gmu)) {
          if (/\b(?:import|export)\s+type\s/u.test(m[0])) continue; // erased at compile time
          const spec = (m[1] ?? m[2] ?? m[3])!;
          if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!(name in pkg.dependencies)) missing.push(`${relative(repoRoot, file)}: ${spec}`);
        }
      }
    }
    expect(missing, 'imported by shipped code but not a production dependency (npm ci --omit=dev would leave it out of the image)').to.deep.equal([]);

    const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; hasInstallScript?: boolean }> };
    const scripted = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev && p.hasInstallScript);
    expect(scripted.map(([path]) => path), 'production packages with install scripts (the image installs with --ignore-scripts)').to.deep.equal([]);
  });
});
