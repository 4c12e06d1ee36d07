// Runs Prometheus's own checker and unit tests over the alert rules. promtool comes from Debian's
// `prometheus` package; CI installs it (and fails without it), a machine without it skips, saying so.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parse } from 'yaml';
import { needs } from './local-backends.ts';

const rulesDir = fileURLToPath(new URL('../../telemetry/backends/prometheus/', import.meta.url));

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: rulesDir, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    // Show promtool's own explanation, not just "exit code 1".
    const failure = error as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

interface RuleGroups {
  groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
}

interface RuleTests {
  tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

describe('Prometheus alert rules', () => {
  describe('checked by promtool', function () {
    // promtool evaluates a day of samples per test case: seconds, not milliseconds.
    this.timeout(60_000);

    before(function () {
      needs(this, 'promtool');
    });

    it('when checked by promtool, then the rules are valid', () => {
      expect(promtool('check', 'rules', 'alerts.yml')).to.match(/SUCCESS/);
    });

    it('when unit-tested by promtool, then every test case passes', () => {
      expect(promtool('test', 'rules', 'alerts.test.yml')).to.match(/SUCCESS/);
    });
  });

  it('when an alert is defined, then a test makes it fire and another keeps it quiet', () => {
    const rules = parse(readFileSync(`${rulesDir}alerts.yml`, 'utf8')) as RuleGroups;
    const tests = parse(readFileSync(`${rulesDir}alerts.test.yml`, 'utf8')) as RuleTests;
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    const alerts = rules.groups.flatMap((group) => group.rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])));
    expect(alerts).to.include.members([
      'ConvonetErrorRateRising',
      'ConvonetSlowTurns',
      'ConvonetThreadResetsAboveNormal',
      'ConvonetAgentTimeoutsAboveNormal',
    ]);
    for (const alert of alerts) {
      const mine = cases.filter((test) => test.alertname === alert);
      expect(mine.some((test) => test.exp_alerts.length > 0), `${alert} fires in some test`).to.equal(true);
      expect(mine.some((test) => test.exp_alerts.length === 0), `${alert} stays quiet in some test`).to.equal(true);
    }
  });

  it('when rules query metrics, then they use the names the collector exports', () => {
    const rules = parse(readFileSync(`${rulesDir}alerts.yml`, 'utf8')) as RuleGroups;
    const exprs = rules.groups.flatMap((group) => group.rules.map((rule) => rule.expr)).join('\n');
    const metrics = new Set(exprs.match(/\bconvonet_[a-z_]+\b/g));
    const known = [
      'convonet_turn_duration_seconds_bucket',
      'convonet_turn_duration_seconds_count',
      'convonet_errors_total',
      'convonet_thread_resets_total',
      'convonet_agent_timeouts_total',
    ];
    for (const metric of metrics) expect(known, metric).to.include(metric);
  });
});
