import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';

// PGlite is PostgreSQL in single-user mode and takes no lock of its own: a second process opening
// the same directory (a second `npm start`, a script while the app runs) writes over the first
// one's files and data is lost. So whoever opens the directory first holds this lock file, and
// everyone else is refused until it is gone. A process that crashed leaves its file behind; the
// process id in it, checked against the running processes, tells a stale lock from a live one
// (on Linux with the process's start time too, so a reused pid or a reboot is not mistaken for it).
// https://github.com/electric-sql/pglite/issues/1106

export const LOCK_FILE = 'convonet.lock';

interface Holder {
  pid: number;
  host: string;
  /** Linux: the boot and the start time of the process, which a reused pid does not share. */
  started: string | null;
  /** What runs, for the message a refused process prints: "src/main.ts", "src/callers/cli.ts". */
  command: string;
}

export class EmbeddedDatabaseInUse extends Error {
  override name = 'EmbeddedDatabaseInUse';
  constructor(
    readonly dir: string,
    readonly holder: Holder,
  ) {
    const where = holder.host === hostname() ? '' : ` on ${holder.host}`;
    super(
      `the embedded database in ${dir} is in use by another process (pid ${holder.pid}${where}, ${holder.command}): ` +
        `stop it first, or set PGLITE_DATA_DIR to another directory ` +
        `(only if no such process runs, delete ${join(dir, LOCK_FILE)})`,
    );
  }
}

// Locks this process holds: a second open in the same process would corrupt the files just the same.
const held = new Set<string>();

/** Takes the directory's lock or throws EmbeddedDatabaseInUse; the returned function gives it back. */
export function lockEmbeddedDatabase(dir: string): () => void {
  const path = join(resolve(dir), LOCK_FILE);
  const mine: Holder = {
    pid: process.pid,
    host: hostname(),
    started: processStart(process.pid),
    command: relative(process.cwd(), process.argv[1] ?? 'node') || 'node',
  };
  // Three tries: each failed one either found a live holder (and threw) or removed a stale file.
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path, mine)) {
      held.add(path);
      const release = (): void => {
        if (!held.delete(path)) return;
        process.off('exit', release);
        if (readHolder(path)?.pid === process.pid) unlinkSync(path);
      };
      process.on('exit', release);
      return release;
    }
    const holder = readHolder(path);
    if (holder === null) continue;
    if (isRunning(holder, path)) throw new EmbeddedDatabaseInUse(dir, holder);
    removeStale(path, holder, dir);
  }
  throw new Error(`could not take the lock ${path}: other processes keep taking it`);
}

/** Creates the lock file whole (written aside, then linked into place) or reports that it exists. */
function create(path: string, holder: Holder): boolean {
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, JSON.stringify(holder), { mode: 0o600 });
  try {
    return linkIfFree(draft, path);
  } finally {
    unlinkSync(draft);
  }
}

/** Links `from` to `to` unless `to` exists: the one step two processes cannot both win. */
function linkIfFree(from: string, to: string): boolean {
  try {
    linkSync(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readHolder(path: string): Holder | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let holder: Partial<Holder> | null = null;
  try {
    holder = JSON.parse(text) as Partial<Holder>;
  } catch {
    // Damaged: checked below like any other file nobody can be shown to hold.
  }
  if (typeof holder?.pid === 'number' && typeof holder.host === 'string') {
    return { pid: holder.pid, host: holder.host, started: holder.started ?? null, command: holder.command ?? 'unknown' };
  }
  return { pid: 0, host: hostname(), started: null, command: 'unknown' };
}

function isRunning(holder: Holder, path: string): boolean {
  // Another machine's processes (a shared volume) cannot be checked here: assume it runs.
  if (holder.host !== hostname()) return true;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  // Our own pid: this process, or a previous life of it (a container restarts with the same pids).
  if (holder.pid === process.pid) return held.has(path);
  const started = holder.started === null ? null : processStart(holder.pid);
  if (started !== null) return started === holder.started;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock without removing a fresh one: the file is first renamed aside (only one of
 * several processes doing this at once succeeds), and put back if it turns out to be a live holder's.
 */
function removeStale(path: string, stale: Holder, dir: string): void {
  const aside = `${path}.stale.${process.pid}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readHolder(aside);
  try {
    if (moved && moved.pid !== stale.pid && isRunning(moved, path)) {
      // Unless yet another process took the lock meanwhile: then that one holds it.
      linkIfFree(aside, path);
      throw new EmbeddedDatabaseInUse(dir, moved);
    }
  } finally {
    unlinkSync(aside);
  }
}

/** Linux: the boot id and the process's start time in clock ticks since boot; null elsewhere, or when it is gone. */
function processStart(pid: number): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    // Field 22 of /proc/<pid>/stat, counted after the command name, which may itself hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return ticks ? `${boot}:${ticks}` : null;
  } catch {
    return null;
  }
}
