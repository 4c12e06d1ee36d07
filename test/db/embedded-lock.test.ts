import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDatabaseInUse, LOCK_FILE, lockEmbeddedDatabase } from '../../src/db/embedded-lock.ts';
import { scratchDirectory } from '../support/scripts.ts';

describe('the embedded database lock', () => {
  let dir: ReturnType<typeof scratchDirectory>;
  beforeEach(() => {
    dir = scratchDirectory();
  });
  afterEach(() => dir.remove());

  const lockFile = () => join(dir.path, LOCK_FILE);
  const writeHolder = (holder: Record<string, unknown>) => writeFileSync(lockFile(), JSON.stringify(holder));

  /** A process that runs until killed, so its pid is really alive. */
  async function otherProcess() {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    return { pid: child.pid!, stop: async () => { child.kill(); await once(child, 'exit'); } };
  }

  it('when this process already holds it, then a second open is refused, and after release it can be taken again', () => {
    const release = lockEmbeddedDatabase(dir.path);
    expect(() => lockEmbeddedDatabase(dir.path)).to.throw(EmbeddedDatabaseInUse, `pid ${process.pid}`);
    release();
    expect(existsSync(lockFile())).to.equal(false);
    lockEmbeddedDatabase(dir.path)();
  });

  it('when another live process holds it, then opening is refused with one line naming that process and the fix', async () => {
    const other = await otherProcess();
    try {
      writeHolder({ pid: other.pid, host: hostname(), started: null, command: 'src/main.ts' });
      let refusal: unknown;
      try {
        lockEmbeddedDatabase(dir.path);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).to.be.instanceOf(EmbeddedDatabaseInUse);
      const message = (refusal as Error).message;
      expect(message).to.include(`pid ${other.pid}, src/main.ts`).and.include('PGLITE_DATA_DIR').and.not.include('\n');
      expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).to.include({ pid: other.pid });
    } finally {
      await other.stop();
    }
  });

  it('when the process that held it has died (a crash leaves the file), then the lock is taken over', async () => {
    const other = await otherProcess();
    await other.stop();
    writeHolder({ pid: other.pid, host: hostname(), started: null, command: 'src/main.ts' });
    const release = lockEmbeddedDatabase(dir.path);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).to.include({ pid: process.pid });
    release();
  });

  it('when the pid in the file now belongs to a process started later (pid reuse, reboot), then the lock is taken over', async function () {
    if (process.platform !== 'linux') this.skip();
    const other = await otherProcess();
    try {
      writeHolder({ pid: other.pid, host: hostname(), started: 'another-boot:1', command: 'src/main.ts' });
      lockEmbeddedDatabase(dir.path)();
    } finally {
      await other.stop();
    }
  });

  it('when the file is damaged, then it holds nobody and is taken over', () => {
    writeFileSync(lockFile(), 'not json');
    lockEmbeddedDatabase(dir.path)();
  });

  it('when another machine holds it (a shared volume), then it is refused, since its processes cannot be checked', () => {
    writeHolder({ pid: 1, host: 'some-other-host', started: null, command: 'src/main.ts' });
    expect(() => lockEmbeddedDatabase(dir.path)).to.throw(EmbeddedDatabaseInUse, 'on some-other-host');
  });
});
