import { createHmac, randomBytes } from 'node:crypto';
import { isContentKey } from './content-keys.ts';

/**
 * What may leave the process. One redactor serves spans, span events, logs and Sentry events,
 * so the rules cannot drift apart between backends. It is pure string/object work with no SDK
 * import: the span and log processors and the Sentry hooks call it.
 */
export interface Redactor {
  /** Redacts attribute-like records in place: drops content and secret keys, scrubs strings. */
  attributes(record: Record<string, unknown>): void;
  /** A string with phone numbers hashed and tokens, signatures and known secrets removed. */
  text(value: string): string;
  /** Deep copy-free walk of a JSON-ish value (a Sentry event), redacting in place. */
  deep<T>(value: T): T;
}

export interface RedactorOptions {
  captureContent: boolean;
  /** HMAC key for phone numbers; stable across instances only when the operator sets one. */
  hashKey?: string;
  /**
   * Values of secret environment variables (`TelemetryConfig.knownSecrets`). Those of at least
   * `LITERAL_SECRET_MIN_LENGTH` characters are removed wherever they appear; shorter ones only
   * where secrets are written (see `createRedactor`).
   */
  knownSecrets?: readonly string[];
}

export const REDACTED = '[redacted]';

/**
 * Tokens and API keys (Twilio's 32 characters, OpenAI's 50 and more, vendors' OTLP keys) are at
 * least this long. A shorter value, typically a database password such as docker-compose's
 * `convonet`, is also an ordinary word: matched anywhere, it would redact the service's name.
 */
export const LITERAL_SECRET_MIN_LENGTH = 16;

// E.164: + then 7 to 15 digits. Also the URL-encoded form (%2B) found in query strings and form bodies.
const PHONE = /(?:\+|%2B)([1-9]\d{6,14})(?!\d)/gi;
const AUTH_SCHEME = /\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@/?#\s]+@/gi;
// A query or form parameter whose name looks secret keeps its name, loses its value.
const SECRET_PARAM =
  /([?&;]|^)((?:[^=&#\s]*?)(?:token|secret|password|passwd|api[_-]?key|apikey|signature|sig|auth|credential|pin|digits|dsn)(?:[^=&#\s]*)=)[^&#\s]*/gi;
const SECRET_SHAPES = [
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];
/**
 * Every pattern above needs one of these to match: `+` or `%2B` (phone), an auth scheme, `@`
 * (URL password), `=` (parameters), `sk-`, `eyJ`. A string with none of them skips the
 * patterns: most attribute values (ids, names, numbers as text) do.
 */
const MAY_MATCH = /[+=@]|%2b|bearer|basic|digest|sk-|eyj/i;

/** Keys whose values are secrets whatever they hold. Counts such as `input_tokens` are not. */
const SECRET_KEY =
  /(authorization|x-twilio-signature|signature|cookie|password|passwd|secret|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?token|access[_.-]?token|refresh[_.-]?token|credential|(^|[._-])dsn$|(^|[._-])token$|(^|[._-])pin$)/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

type KeyVerdict = 'drop' | 'mask' | 'keep';

// Attribute keys come from code, so there are few of them; values repeat too (SQL text, span
// names, routes), so each distinct one is scanned once. Both caches start over when full, so
// neither grows with traffic.
const MAX_CACHED = 2_048;
// Longer strings (stack traces, request bodies) are rarely repeated: scanned every time.
const MAX_CACHED_LENGTH = 512;

/**
 * Secrets are removed where they are written: values of secret-named keys, credentials after an
 * auth scheme, passwords in URLs, secret-named query and form parameters, API-key and JWT
 * shapes; and the literal values of long secret environment variables wherever they appear.
 * Phone numbers become a keyed hash; content keys are dropped unless content capture is on.
 */
export function createRedactor(options: RedactorOptions): Redactor {
  // Without an operator key, a per-process key still links one call's spans together but can't
  // be reversed by brute force over the phone-number space, and means nothing across restarts.
  const hashKey = options.hashKey ?? randomBytes(32).toString('hex');
  const literalSecrets = (options.knownSecrets ?? []).filter((secret) => secret.length >= LITERAL_SECRET_MIN_LENGTH);
  const phoneHashes = new Map<string, string>();
  const verdicts = new Map<string, KeyVerdict>();
  const scrubbed = new Map<string, string>();

  const hashPhone = (digits: string): string => {
    let hashed = phoneHashes.get(digits);
    if (!hashed) {
      hashed = `tel:${createHmac('sha256', hashKey).update(`+${digits}`).digest('hex').slice(0, 16)}`;
      remember(phoneHashes, digits, hashed);
    }
    return hashed;
  };

  const scrub = (value: string): string => {
    let out = value;
    for (const secret of literalSecrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    if (!MAY_MATCH.test(out)) return out;
    out = out.replace(PHONE, (_match, digits: string) => hashPhone(digits));
    out = out.replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`);
    out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
    if (out.includes('=')) out = out.replace(SECRET_PARAM, `$1$2${REDACTED}`);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    return out;
  };

  const text = (value: string): string => {
    if (value.length > MAX_CACHED_LENGTH) return scrub(value);
    let out = scrubbed.get(value);
    if (out === undefined) {
      out = scrub(value);
      remember(scrubbed, value, out);
    }
    return out;
  };

  const verdictFor = (key: string): KeyVerdict => {
    let verdict = verdicts.get(key);
    if (verdict === undefined) {
      verdict = isSecretKey(key) ? 'mask' : !options.captureContent && isContentKey(key) ? 'drop' : 'keep';
      remember(verdicts, key, verdict);
    }
    return verdict;
  };

  const value = (input: unknown, depth: number): unknown => {
    if (typeof input === 'string') return text(input);
    if (depth > 12 || input === null || typeof input !== 'object') return input;
    if (Array.isArray(input)) {
      for (let i = 0; i < input.length; i++) input[i] = value(input[i], depth + 1);
      return input;
    }
    if (ArrayBuffer.isView(input)) return input;
    walk(input as Record<string, unknown>, depth + 1);
    return input;
  };

  const walk = (record: Record<string, unknown>, depth: number): void => {
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const verdict = verdictFor(key);
      if (verdict === 'drop') delete record[key];
      else if (verdict === 'mask') record[key] = REDACTED;
      else {
        const current = record[key];
        // Numbers and booleans, most of a span's values, hold nothing to redact.
        if (typeof current === 'string' || (typeof current === 'object' && current !== null)) record[key] = value(current, depth);
      }
    }
  };

  return {
    text,
    attributes: (record) => walk(record, 0),
    deep: <T>(input: T): T => value(input, 0) as T,
  };
}

function remember<K, V>(cache: Map<K, V>, key: K, value: V): void {
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, value);
}
