// Installs packages into a fresh project with npm itself, offline: `npm ci --offline` from a lockfile
// written here from this repository's own package-lock.json (same versions, same integrity hashes),
// so every tarball comes from the npm cache that `npm ci` filled. No registry request is made: npm
// needs no package metadata when the lockfile pins everything.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(join(repo, 'package-lock.json'), 'utf8')).packages;

/** The lock path a dependency `name` of the package at `from` resolves to, the way Node walks up. */
function resolveIn(from, name) {
  for (let at = from; ;) {
    const candidate = at === '' ? `node_modules/${name}` : `${at}/node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (at === '') return undefined;
    const cut = at.lastIndexOf('/node_modules/');
    at = cut < 0 ? '' : at.slice(0, cut);
  }
}

/** Copies the lock entry at `src` (and its dependencies) to `dst` in `out`. */
function copyTree(out, src, dst) {
  if (out[dst]) return;
  const { dev: _dev, devOptional: _devOptional, peer: _peer, name: _alias, ...entry } = lock[src];
  out[dst] = entry;
  for (const dep of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) {
    const from = resolveIn(src, dep);
    if (!from) {
      if (entry.optionalDependencies?.[dep]) continue;
      throw new Error(`${src} needs ${dep}, which package-lock.json does not hold`);
    }
    // A dependency nested under the source is nested under the copy; a hoisted one stays hoisted.
    copyTree(out, from, from.startsWith(`${src}/`) ? dst + from.slice(src.length) : from);
  }
}

/**
 * Writes package.json + package-lock.json into `dir` and runs `npm ci --offline` there.
 * `packages`: `{ name: lockPath }`, e.g. `{ openai: 'node_modules/openai-v6' }` (an alias of this
 * repository installs under its real name). `tarball`: a packed llm-resilience, installed too.
 */
export function installOffline(dir, { packages = {}, tarball, manifest: manifestPath, type } = {}) {
  const out = {};
  const dependencies = {};
  for (const [name, src] of Object.entries(packages)) {
    if (!lock[src]) throw new Error(`package-lock.json has no ${src}`);
    dependencies[name] = lock[src].version;
    copyTree(out, src, `node_modules/${name}`);
  }
  if (tarball) {
    // `manifest`: the package.json the tarball was packed from (default: this repository's).
    const manifest = JSON.parse(readFileSync(manifestPath ?? join(repo, 'package.json'), 'utf8'));
    const integrity = `sha512-${createHash('sha512').update(readFileSync(tarball)).digest('base64')}`;
    dependencies[manifest.name] = `file:${tarball}`;
    const { name: _n, version, license, engines, bin, dependencies: deps } = manifest;
    const { peerDependencies, peerDependenciesMeta } = manifest;
    out[`node_modules/${manifest.name}`] = {
      version,
      resolved: `file:${tarball}`,
      integrity,
      license,
      dependencies: deps,
      bin,
      engines,
      peerDependencies,
      peerDependenciesMeta,
    };
    for (const dep of Object.keys(deps)) copyTree(out, `node_modules/${dep}`, `node_modules/${dep}`);
  }
  const pkg = { name: 'consumer', version: '1.0.0', private: true, ...(type ? { type } : {}), dependencies };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
  const lockfile = {
    name: 'consumer',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: 'consumer', version: '1.0.0', dependencies }, ...out },
  };
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lockfile, null, 2) + '\n');
  execFileSync(
    'npm',
    ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'],
    {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
}
