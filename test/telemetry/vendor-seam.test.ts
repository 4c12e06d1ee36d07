import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

// src/ speaks the vendor-neutral API only; everything else belongs to telemetry/.
const ALLOWED = new Set(['@opentelemetry/api', '@opentelemetry/semantic-conventions']);
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?(t|j)sx?$/.test(entry.name) ? [path] : [];
  });
}

function isVendorSpecifier(specifier: string): boolean {
  if (specifier.startsWith('@sentry/')) return true;
  if (specifier.startsWith('@opentelemetry/')) {
    const pkg = specifier.split('/').slice(0, 2).join('/');
    return !ALLOWED.has(pkg);
  }
  // Reaching into telemetry/ from src/ would smuggle the vendor in by the back door.
  return /(^|\/)telemetry\//.test(specifier) && specifier.startsWith('.');
}

describe('the vendor seam', () => {
  it('when any file under src/ is read, then it imports no OpenTelemetry SDK, exporter, instrumentation, resources/core, or @sentry/*', () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(SRC)) {
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        if (specifier && isVendorSpecifier(specifier)) offenders.push(`${relative(SRC, file)}: ${specifier}`);
      }
    }
    expect(offenders, offenders.join('\n')).to.deep.equal([]);
  });

  it('when the rule is checked against known specifiers, then it tells them apart', () => {
    expect(isVendorSpecifier('@opentelemetry/api')).to.equal(false);
    expect(isVendorSpecifier('@opentelemetry/semantic-conventions/incubating')).to.equal(false);
    for (const bad of ['@opentelemetry/sdk-node', '@opentelemetry/exporter-trace-otlp-http', '@opentelemetry/instrumentation-pg', '@opentelemetry/resources', '@opentelemetry/core', '@sentry/node']) {
      expect(isVendorSpecifier(bad), bad).to.equal(true);
    }
  });
});
