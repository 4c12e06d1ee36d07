// Static checks of docker-compose.yml and the backend configs it mounts. There is no Docker engine
// here: the collector, Jaeger and Prometheus run for real in collector.test.ts and stack.test.ts, and
// this checks that compose runs them with the same files, arguments and ports.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { STACK_ADDRESSES, collectorConfigArgs } from '../../collector/processes.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Service {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string>;
  build?: string | { context?: string; dockerfile?: string };
  volumes?: string[];
  ports?: string[];
  env_file?: string | string[];
  healthcheck?: { test?: string[] };
  depends_on?: string[] | Record<string, { condition?: string }>;
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as Compose;
const services = Object.entries(compose.services);

function readYaml<T>(relative: string): T {
  return parse(readFileSync(path.join(root, relative), 'utf8')) as T;
}

/** `./a/b:/c:ro` -> { source: './a/b', target: '/c' } */
function splitVolume(volume: string): { source: string; target: string } {
  const [source = '', target = ''] = volume.split(':');
  return { source, target };
}

function isBindMount(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/');
}

describe('docker-compose.yml', () => {
  it('when parsed, then it runs postgres, the app, the collector, Jaeger, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services)).to.include.members(['postgres', 'app', 'collector', 'jaeger', 'prometheus', 'grafana']);
  });

  it('when a service uses an image, then the image has an explicit tag that is not latest', () => {
    for (const [name, service] of services) {
      if (service.image === undefined) {
        expect(service.build, `${name} has neither image nor build`).not.to.equal(undefined);
        continue;
      }
      // The tag follows the last ':' after the last '/', so a registry port is not mistaken for one.
      const lastPart = service.image.split('/').pop() ?? '';
      const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
      expect(tag, `${name} image ${service.image}`).to.be.a('string').and.not.equal('');
      expect(tag, `${name} image ${service.image}`).not.to.match(/^latest$|^(stable|main|edge|nightly)$/);
      expect(tag, `${name} image ${service.image}`).to.match(/\d/);
    }
  });

  it('when the app is built, then its Dockerfile exists and pins its base image', () => {
    const build = compose.services['app']?.build;
    const context = typeof build === 'string' ? build : (build?.context ?? '.');
    const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build?.dockerfile ?? 'Dockerfile');
    const file = path.join(root, context, dockerfile);
    expect(existsSync(file), file).to.equal(true);
    const from = readFileSync(file, 'utf8').match(/^FROM\s+(\S+)/m)?.[1] ?? '';
    expect(from).to.match(/^node:20[.\d]*-/);
    // Node itself is the container's process, running what `npm start` runs, so SIGTERM reaches it.
    const start = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
    const cmd = readFileSync(file, 'utf8').match(/^CMD\s+(\[.*\])$/m)?.[1] ?? '[]';
    expect(readFileSync(file, 'utf8')).to.match(/RUN npm ci/);
    expect(JSON.parse(cmd)).to.deep.equal(start.replace(/^exec /, '').split(' '));
  });

  it('when the image is built, then the developer\'s embedded database and .env stay out of it', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n').map((line) => line.trim());
    expect(ignored).to.include.members(['.data', '.env']);
  });

  it('when a service mounts or reads a file from the repo, then that file exists', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const { source } = splitVolume(volume);
        if (isBindMount(source)) expect(existsSync(path.join(root, source)), `${name} mounts ${source}`).to.equal(true);
        else expect(compose.volumes ?? {}, `${name} uses volume ${source}`).to.have.property(source);
      }
      const envFiles = service.env_file === undefined ? [] : [service.env_file].flat();
      for (const file of envFiles) expect(existsSync(path.join(root, file)), `${name} env_file ${file}`).to.equal(true);
    }
  });

  it('when a service runs, then it has a health check', () => {
    for (const [name, service] of services) expect(service.healthcheck?.test, `${name} healthcheck`).to.be.an('array').that.is.not.empty;
  });

  it('when a port is published, then it is published on 127.0.0.1 only', () => {
    for (const [name, service] of services) {
      for (const port of service.ports ?? []) expect(port, `${name} port`).to.match(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('when a service depends on another, then that service exists', () => {
    for (const [name, service] of services) {
      const dependencies = Array.isArray(service.depends_on) ? service.depends_on : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) expect(compose.services, `${name} depends on ${dependency}`).to.have.property(dependency);
    }
  });

  it('when Prometheus loads its rules, then the path it reads is the one compose mounts', () => {
    const prometheus = readYaml<{ rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] }>(
      'telemetry/backends/prometheus/prometheus.yml',
    );
    const targets = (compose.services['prometheus']?.volumes ?? []).map((volume) => splitVolume(volume).target);
    for (const ruleFile of prometheus.rule_files) expect(targets, ruleFile).to.include(ruleFile);
    const scraped = prometheus.scrape_configs.flatMap((job) => job.static_configs.flatMap((config) => config.targets));
    expect(scraped).to.include('collector:8889');
  });

  it('when Grafana provisions, then the dashboard parses and refers only to provisioned data sources', () => {
    const datasources = readYaml<{ datasources: { uid: string }[] }>('telemetry/backends/grafana/provisioning/datasources/datasources.yml');
    const uids = new Set(datasources.datasources.map((datasource) => datasource.uid));
    const dashboards = path.join(root, 'telemetry/backends/grafana/dashboards');
    const files = readdirSync(dashboards).filter((file) => file.endsWith('.json'));
    expect(files).to.include('convonet-performance.json');
    for (const file of files) {
      const text = readFileSync(path.join(dashboards, file), 'utf8');
      const dashboard = JSON.parse(text) as { panels: { title: string }[] };
      expect(dashboard.panels.length, file).to.be.greaterThan(0);
      for (const uid of text.matchAll(/"uid":\s*"([^"]+)"/g)) {
        if (uid[1] !== 'convonet-performance') expect(uids.has(uid[1] ?? ''), `${file} data source ${uid[1]}`).to.equal(true);
      }
    }
  });

  it('when the app starts in compose, then it exports OTLP to the collector and uses the compose database', () => {
    const environment = (compose.services['app'] as { environment?: Record<string, string> }).environment ?? {};
    expect(environment['OTEL_EXPORTER_OTLP_ENDPOINT']).to.equal('http://collector:4318');
    expect(environment['DATABASE_URL']).to.match(/^postgres:\/\/.+@postgres:5432\//);
  });

  it('when compose runs the collector, then it passes the configs the stack and the tests pass, Sentry or not', () => {
    const collector = compose.services['collector']!;
    // Container path -> repository path, from the service's bind mounts.
    const mounted = new Map((collector.volumes ?? []).map(splitVolume).filter((volume) => isBindMount(volume.source)).map((volume) => [volume.target, volume.source]));
    for (const env of [{}, { SENTRY_OTLP_ENDPOINT: 'https://o1.ingest.sentry.io/api/2/integration/otlp', SENTRY_PUBLIC_KEY: 'k' }] as Record<string, string>[]) {
      // Compose's ${VAR:+word} interpolation, then the split of a string command into arguments.
      const command = String(collector.command).replace(/\$\{(\w+):\+([^}]*)\}/g, (_, name: string, word: string) => (env[name] ? word : ''));
      const files = command.split(/\s+/).filter(Boolean).map((argument) => mounted.get(argument.replace(/^--config=/, '')));
      const expected = collectorConfigArgs(env).filter((argument) => argument !== '--config').map((file) => `./${path.relative(root, file)}`);
      expect(files, JSON.stringify(env)).to.deep.equal(expected);
    }
    expect(Object.keys(collector.environment ?? {})).to.include.members(['SENTRY_OTLP_ENDPOINT', 'SENTRY_PUBLIC_KEY']);
  });

  it('when compose runs Jaeger, then it runs the config the stack runs', () => {
    const jaeger = compose.services['jaeger']!;
    const config = (jaeger.command as string[])[(jaeger.command as string[]).indexOf('--config') + 1];
    const mount = (jaeger.volumes ?? []).map(splitVolume).find((volume) => volume.target === config);
    expect(mount?.source).to.equal('./telemetry/backends/jaeger/config.yaml');
  });

  it('when compose publishes a port of the collector, Jaeger or Prometheus, then npm run stack listens on the same one', () => {
    const stackPorts = new Set(Object.values(STACK_ADDRESSES).map((address) => address.split(':').pop()));
    for (const name of ['collector', 'jaeger', 'prometheus']) {
      for (const port of compose.services[name]?.ports ?? []) expect(stackPorts.has(port.split(':')[1]), `${name} ${port}`).to.equal(true);
    }
  });
});
