// The collector's builder manifest and collector/build.sh: one release everywhere, and a build
// script that says what it needs in one line and does not rebuild what is unchanged.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { COLLECTOR_BINARY, ROOT } from '../../collector/processes.ts';
import { needs } from './local-backends.ts';

interface Manifest {
  dist: { name: string; version: string; output_path: string };
  [kind: string]: unknown;
}

const manifest = parse(readFileSync(path.join(ROOT, 'collector/manifest.yaml'), 'utf8')) as Manifest;
const buildScript = readFileSync(path.join(ROOT, 'collector/build.sh'), 'utf8');
const compose = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

const modules = ['receivers', 'processors', 'exporters', 'connectors', 'extensions', 'providers'].flatMap((kind) =>
  ((manifest[kind] as { gomod: string }[] | undefined) ?? []).map((component) => {
    const [module = '', version = ''] = component.gomod.split(' ');
    return { module, version };
  }),
);

function imageTag(image: string): string | undefined {
  return new RegExp(`image: ${image}:(\\S+)`).exec(compose)?.[1];
}

function scriptVariable(name: string): string | undefined {
  return new RegExp(`^${name}=(\\S+)$`, 'm').exec(buildScript)?.[1];
}

/** PATH without any directory that holds a `go`: a machine without Go. */
function pathWithoutGo(): string {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !existsSync(path.join(dir, 'go')))
    .join(path.delimiter);
}

describe('collector/manifest.yaml and collector/build.sh', () => {
  it('when docker-compose.yml pins the contrib image, then every component module, the builder and the distribution are at that release', () => {
    const release = imageTag('otel/opentelemetry-collector-contrib');
    expect(release).to.match(/^\d+\.\d+\.\d+$/);
    expect(manifest.dist.version).to.equal(release);
    expect(scriptVariable('BUILDER_VERSION')).to.equal(`v${release}`);
    // Pre-1.0 modules carry the release number; the collector's stable modules (v1.x) have their own, one for all.
    const unstable = modules.filter((entry) => entry.version.startsWith('v0.'));
    expect(unstable.length).to.be.greaterThan(0);
    for (const entry of unstable) expect(entry.version, entry.module).to.equal(`v${release}`);
    expect(new Set(modules.filter((entry) => entry.version.startsWith('v1.')).map((entry) => entry.version)).size).to.equal(1);
  });

  it('when docker-compose.yml pins Jaeger, then the build script builds that version', () => {
    expect(`v${imageTag('jaegertracing/jaeger')}`).to.equal(scriptVariable('JAEGER_VERSION'));
  });

  it('when the manifest names its output, then the build keeps it under .collector/, which git ignores', () => {
    expect(manifest.dist.name).to.equal('otelcol-convonet');
    expect(manifest.dist.output_path).to.match(/^\.collector\//);
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8').split('\n')).to.include('.collector/');
  });

  it('when Go is missing and nothing is built, then the build fails with one line saying so', () => {
    // A copy of the script and manifest in an empty checkout: nothing built there to reuse.
    const checkout = mkdtempSync(path.join(tmpdir(), 'convonet-build-'));
    try {
      mkdirSync(path.join(checkout, 'collector'));
      for (const file of ['build.sh', 'manifest.yaml']) copyFileSync(path.join(ROOT, 'collector', file), path.join(checkout, 'collector', file));
      const result = spawnSync('bash', [path.join(checkout, 'collector/build.sh'), 'collector'], { env: { PATH: pathWithoutGo() }, encoding: 'utf8' });
      expect(result.status).to.equal(1);
      expect(result.stdout).to.equal('');
      expect(result.stderr.trim().split('\n')).to.deep.equal([
        'collector/build.sh: Go is not installed, and .collector/otelcol-convonet needs building (https://go.dev/doc/install)',
      ]);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });

  describe('once built', () => {
    before(function () {
      needs(this, 'collector', 'jaeger');
    });

    it('when nothing changed since the build, then it reuses both binaries, without even needing Go', () => {
      const result = spawnSync('bash', [path.join(ROOT, 'collector/build.sh')], { env: { PATH: pathWithoutGo() }, encoding: 'utf8' });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout.trim().split('\n')).to.deep.equal([
        'collector/build.sh: .collector/otelcol-convonet is up to date',
        'collector/build.sh: .collector/jaeger is up to date',
      ]);
    });

    it('when asked its version, then the built collector is the release compose pins', () => {
      const version = spawnSync(COLLECTOR_BINARY, ['--version'], { encoding: 'utf8' }).stdout.trim();
      expect(version).to.equal(`otelcol-convonet version ${imageTag('otel/opentelemetry-collector-contrib')}`);
    });
  });
});
