import pg from 'pg';
import { ConfigError, type Config } from './config.ts';
import { exitWith } from './command-line.ts';
import { EmbeddedDatabaseInUse } from './db/embedded-lock.ts';

// The failures a user causes and can fix at start (configuration, the database, the port) get
// one line naming the cause and the fix; anything else is a bug and keeps its stack trace.

/** Runs `work`; a failure the user can fix ends the process with its one line and exit 1. */
export async function orExit<T>(work: () => T | Promise<T>, config?: Pick<Config, 'database' | 'port' | 'host'>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const line = explainFailure(error, config);
    if (line === null) throw error;
    return exitWith(line);
  }
}

export function explainFailure(error: unknown, config?: Pick<Config, 'database' | 'port' | 'host'>): string | null {
  if (error instanceof ConfigError || error instanceof EmbeddedDatabaseInUse) return error.message;
  if (!config || typeof error !== 'object' || error === null) return null;
  const { code, syscall, path } = error as NodeJS.ErrnoException;
  if (syscall === 'listen') {
    if (code === 'EADDRINUSE') {
      return `port ${config.port} is already in use (another npm start?): stop what listens there, or set PORT to a free port`;
    }
    if (code === 'EACCES') return `not allowed to listen on port ${config.port}: set PORT to 1024 or above`;
    if (code === 'EADDRNOTAVAIL') return `HOST=${config.host} is not an address of this machine: set HOST to one that is, or unset it`;
  }
  if ('url' in config.database) return explainPostgres(error, config.database.url);
  if (path && code && ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOSPC'].includes(code)) {
    return `cannot use PGLITE_DATA_DIR=${config.database.pgliteDir} (${code} on ${path}): set it to a directory you can write`;
  }
  // PGlite aborts inside its WebAssembly when the files it opens are not a database it can read.
  if (error instanceof Error && error.name === 'RuntimeError') {
    const dir = config.database.pgliteDir;
    return `the embedded database in ${dir} cannot be opened (${error.message.split('.')[0]}): it may be damaged; move it aside (mv ${dir} ${dir}.broken) to start afresh`;
  }
  return null;
}

function explainPostgres(error: unknown, url: string): string | null {
  const target = new URL(url);
  // Never the password: only where the server is and which database and user.
  const server = `${target.hostname}:${target.port || 5432}`;
  const database = decodeURIComponent(target.pathname.slice(1)) || decodeURIComponent(target.username);
  const user = decodeURIComponent(target.username);
  const { code } = error as { code?: string };
  // knex puts the SQL before the server's own words: "create table ... - permission denied for ...".
  const said = String((error as Error).message).split(' - ').at(-1);
  switch (code) {
    case 'ECONNREFUSED':
      return `PostgreSQL is not running at ${server} (connection refused): start it (npm run db:up on Debian or Ubuntu), fix DATABASE_URL, or unset DATABASE_URL for the embedded database`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `the host ${target.hostname} in DATABASE_URL cannot be found: fix DATABASE_URL`;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `PostgreSQL at ${server} cannot be reached (${code}): check the network, or fix DATABASE_URL`;
    case '3D000':
      return `the database "${database}" does not exist on ${server}: create it (createdb -h ${target.hostname} -p ${target.port || 5432} -U ${user} ${database}), or fix DATABASE_URL`;
    case '28P01':
      return `PostgreSQL at ${server} refused the password for user "${user}": fix the password in DATABASE_URL`;
    case '28000':
      return `PostgreSQL at ${server} refused user "${user}" (${said}): fix DATABASE_URL, or the server's pg_hba.conf`;
    case '42501':
      return `user "${user}" may not create the tables in database "${database}" on ${server} (${said}): grant it, or use a database it owns`;
  }
  if ((error as Error).name === 'KnexTimeoutError') {
    return `PostgreSQL at ${server} did not answer in time: check that it is running and reachable, or fix DATABASE_URL`;
  }
  // The SQLSTATE classes of connections, sign-in, server resources and start-up: not our SQL.
  if (error instanceof pg.DatabaseError && /^(08|28|53|57|3D)/.test(error.code ?? '')) {
    return `PostgreSQL at ${server} refused the connection: ${said} (SQLSTATE ${error.code}): fix the server or DATABASE_URL`;
  }
  if (error instanceof Error && /^Connection terminated|SSL/.test(error.message)) {
    return `PostgreSQL at ${server} closed the connection (${error.message}): check DATABASE_URL (host, port, sslmode)`;
  }
  return null;
}
