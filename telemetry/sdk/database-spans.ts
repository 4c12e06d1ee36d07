import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

const KNEX_SCOPE = '@opentelemetry/instrumentation-knex';
// A PostgreSQL error code: five digits or capitals, e.g. 42P01 (undefined table).
const SQLSTATE = /^[0-9A-Z]{5}$/;

/**
 * The knex instrumentation makes the one span per query (pg's is off: it would count each query
 * twice), but names it after knex's method (`first convonet.calls`), says `pglite` for PGlite,
 * and puts no `error.type` on a failed query. This brings it to the database conventions:
 * `{db.operation.name} {db.collection.name}` from the SQL itself, `postgresql`, and the SQLSTATE
 * as `error.type` and `db.response.status_code`.
 * https://opentelemetry.io/docs/specs/semconv/database/database-spans/
 *
 * Costs a string comparison per span, and a slice of the SQL per query span.
 */
export class DatabaseSpanProcessor implements SpanProcessor {
  onStart(span: Span, _parentContext: Context): void {
    if (span.instrumentationScope.name !== KNEX_SCOPE) return;
    const text = span.attributes['db.query.text'];
    const operation = typeof text === 'string' ? firstWord(text).toUpperCase() : undefined;
    const table = span.attributes['db.collection.name'];
    if (operation) {
      const summary = typeof table === 'string' ? `${operation} ${table}` : operation;
      span.setAttributes({ 'db.operation.name': operation, 'db.query.summary': summary });
      span.updateName(summary);
    }
    if (span.attributes['db.system.name'] === 'pglite') span.setAttribute('db.system.name', 'postgresql');
  }

  onEnd(span: ReadableSpan): void {
    if (span.status.code !== 2 || span.instrumentationScope.name !== KNEX_SCOPE) return;
    const code = span.events.find((event) => event.name === 'exception')?.attributes?.['exception.type'];
    if (typeof code !== 'string' || !SQLSTATE.test(code)) return;
    // Ended spans are read-only through the API; their attribute record is still ours to finish.
    Object.assign(span.attributes, { 'error.type': code, 'db.response.status_code': code });
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}

function firstWord(sql: string): string {
  const trimmed = sql.trimStart();
  const end = trimmed.search(/[\s(;]/);
  return end < 0 ? trimmed : trimmed.slice(0, end);
}
