import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';

// What Twilio's auth tokens look like: anything else in production is a mistake (or a placeholder).
const TWILIO_TOKEN = /^[0-9a-f]{32}$/;

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const milliseconds = z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be above 0');

// Twilio gives up on a webhook after 15 s; answers must be on their way before.
const TWILIO_WEBHOOK_LIMIT_MS = 15_000;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be a port number, 0 to 65535').default(3000),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL, or unset for the embedded database' }).optional(),
    PGLITE_DATA_DIR: z.string().default('.data/pglite'),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),

    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    TRUST_PROXY: flag.default(false),
    TRANSFER_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550100')
      .optional(),
    TRANSFER_SIP_URI: z.string().regex(/^sips?:/, 'must start with sip: or sips:').optional(),

    VOICE_MODE: z.enum(['gather', 'relay']).default('gather'),

    AGENT_PROVIDER: z.enum(['openai', 'offline']).optional(),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-4.1-mini'),
    OPENAI_BASE_URL: z.url().optional(),
    WEBHOOK_DEADLINE_MS: milliseconds
      .max(TWILIO_WEBHOOK_LIMIT_MS - 1_000, "must leave a second under Twilio's 15 s webhook limit")
      .default(14_000),
    AGENT_TURN_TIMEOUT_MS: milliseconds.max(12_000, 'must leave room under Twilio\'s 15 s webhook limit').default(10_000),
    TOOL_TIMEOUT_MS: milliseconds.default(8_000),
    AGENT_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
    AGENT_MAX_TOOL_ROUNDS: z.coerce.number().int().min(1).max(20).default(6),
    AGENT_HISTORY_MESSAGES: z.coerce.number().int().min(4).max(500).default(40),
    DEFAULT_TIMEZONE: z.string().default('UTC'),
    // Above the idle timeout of any proxy in front (AWS ALB 60 s, nginx 60-75 s), so that the proxy,
    // not the app, closes an idle connection, and never one it is just reusing.
    HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds.default(65_000),

    TELEMETRY_CAPTURE_CONTENT: flag.default(false),
  })
  .superRefine((env, issues) => {
    if (env.NODE_ENV === 'production' && !TWILIO_TOKEN.test(env.TWILIO_AUTH_TOKEN ?? '')) {
      issues.addIssue({
        code: 'custom',
        path: ['TWILIO_AUTH_TOKEN'],
        message: "is required when NODE_ENV=production, and must be your Twilio account's auth token (32 hex characters)",
      });
    }
    if (env.NODE_ENV === 'production' && !env.PUBLIC_BASE_URL && !env.TRUST_PROXY) {
      issues.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'is required when NODE_ENV=production (the URL Twilio calls, which its signatures cover), unless TRUST_PROXY=true',
      });
    }
    if (env.AGENT_TURN_TIMEOUT_MS > env.WEBHOOK_DEADLINE_MS - 1_000) {
      issues.addIssue({
        code: 'custom',
        path: ['AGENT_TURN_TIMEOUT_MS'],
        message: `must be at least a second under WEBHOOK_DEADLINE_MS (${env.WEBHOOK_DEADLINE_MS}), to leave time to answer`,
      });
    }
    if (env.AGENT_PROVIDER === 'openai' && !env.OPENAI_API_KEY) {
      issues.addIssue({ code: 'custom', path: ['OPENAI_API_KEY'], message: 'is required when AGENT_PROVIDER=openai' });
    }
    if (!isTimeZone(env.DEFAULT_TIMEZONE)) {
      issues.addIssue({ code: 'custom', path: ['DEFAULT_TIMEZONE'], message: 'is not an IANA time zone' });
    }
  });

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  logLevel: string;
  database: ({ url: string } | { pgliteDir: string | 'memory' }) & { poolMax: number };
  /** Every webhook answers this long after it arrived, whatever the database or the model do. */
  webhookDeadlineMs: number;
  keepAliveTimeoutMs: number;
  twilio: {
    authToken: string;
    /** Where the generated development token is kept (printed at start), when none was configured. */
    developmentToken?: { file: string | null };
    publicBaseUrl?: string;
    trustProxy: boolean;
  };
  transfer: { number?: string; sipUri?: string };
  /** After sign-in: "gather" (a webhook per utterance) or "relay" (a ConversationRelay WebSocket, streamed). */
  voiceMode: 'gather' | 'relay';
  agent: {
    provider: 'openai' | 'offline';
    openai: { apiKey?: string; model: string; baseURL?: string };
    turnTimeoutMs: number;
    toolTimeoutMs: number;
    maxRedirects: number;
    maxToolRounds: number;
    historyMessages: number;
    defaultTimezone: string;
  };
  captureContent: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once, at start; the error names every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(blanksRemoved);
  if (!parsed.success) {
    // One line, whatever is wrong: the values themselves stay out of it, as they may be secrets.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')} (fix it in the environment or in .env)`);
  }
  const e = parsed.data;
  const developmentTokenFile = tokenFile(e.PGLITE_DATA_DIR);
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    database: { ...(e.DATABASE_URL ? { url: e.DATABASE_URL } : { pgliteDir: e.PGLITE_DATA_DIR }), poolMax: e.DATABASE_POOL_MAX },
    webhookDeadlineMs: e.WEBHOOK_DEADLINE_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    twilio: {
      authToken: e.TWILIO_AUTH_TOKEN ?? developmentToken(developmentTokenFile),
      ...(e.TWILIO_AUTH_TOKEN ? {} : { developmentToken: { file: developmentTokenFile } }),
      publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
      trustProxy: e.TRUST_PROXY,
    },
    transfer: { number: e.TRANSFER_NUMBER, sipUri: e.TRANSFER_SIP_URI },
    voiceMode: e.VOICE_MODE,
    agent: {
      provider: e.AGENT_PROVIDER ?? (e.OPENAI_API_KEY ? 'openai' : 'offline'),
      openai: { apiKey: e.OPENAI_API_KEY, model: e.OPENAI_MODEL, baseURL: e.OPENAI_BASE_URL },
      turnTimeoutMs: e.AGENT_TURN_TIMEOUT_MS,
      toolTimeoutMs: e.TOOL_TIMEOUT_MS,
      maxRedirects: e.AGENT_MAX_REDIRECTS,
      maxToolRounds: e.AGENT_MAX_TOOL_ROUNDS,
      historyMessages: e.AGENT_HISTORY_MESSAGES,
      defaultTimezone: e.DEFAULT_TIMEZONE,
    },
    captureContent: e.TELEMETRY_CAPTURE_CONTENT,
  };
}

/**
 * Where the development token of a data directory lives: beside the embedded database, so each
 * checkout (or PGLITE_DATA_DIR) has its own, and the simulator finds the one the app uses.
 */
function tokenFile(pgliteDir: string): string | null {
  return pgliteDir === 'memory' ? null : join(dirname(pgliteDir), 'twilio-dev-token');
}

/**
 * With no TWILIO_AUTH_TOKEN outside production, webhooks are checked against a random token made
 * once per data directory (never a constant anyone could look up), kept readable by its owner only.
 */
function developmentToken(file: string | null): string {
  const fresh = randomBytes(16).toString('hex');
  if (!file) return fresh;
  const aside = `${file}.${process.pid}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    // Written aside, then linked into place: a process starting at the same moment reads the whole
    // token or makes none, never half of one.
    writeFileSync(aside, `${fresh}\n`, { mode: 0o600 });
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    throw new ConfigError(`cannot keep the development token in ${file} (${code}): set PGLITE_DATA_DIR to a directory you can write, or set TWILIO_AUTH_TOKEN`);
  }
  try {
    linkSync(aside, file);
    return fresh;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
  const kept = readFileSync(file, 'utf8').trim();
  if (!TWILIO_TOKEN.test(kept)) throw new ConfigError(`invalid development token in ${file}: delete the file to make a new one`);
  return kept;
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
