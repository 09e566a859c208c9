// A private PostgreSQL instance for the Temporal cluster: its own data folder and port, password
// authentication, fsync on. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, HOST } from '../ports.ts';

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  /** The postmaster; each connection is served by a child of it. */
  pid: number;
  stop(): Promise<void>;
}

const BIN_DIRS = ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'];
const READY_TIMEOUT_MS = 30_000;

function binary(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(':').concat(BIN_DIRS)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    `PostgreSQL's ${name} is not installed: apt-get install postgresql-15 (Debian), or put its bin folder on PATH`,
  );
}

/** The user PostgreSQL runs as: ourselves, or `postgres` when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) throw new Error('running as root needs a `postgres` system user (created by the postgresql package)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Starts PostgreSQL in a folder of its own under the system's temp folder, where the `postgres` user can reach it. */
export async function startPostgres(log: (line: string) => void): Promise<Postgres> {
  const user = 'temporal';
  const password = randomBytes(18).toString('base64url');
  const folder = mkdtempSync(join(tmpdir(), 'toolgate-postgres-'));
  const dataDir = join(folder, 'pgdata');
  const owner = runAs();
  chmodSync(folder, 0o755);
  const passwordFile = join(folder, 'pgpass');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  mkdirSync(dataDir, { mode: 0o700 });
  if (owner) {
    chownSync(passwordFile, owner.uid, owner.gid);
    chownSync(dataDir, owner.uid, owner.gid);
  }
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  try {
    execFileSync(
      binary('initdb'),
      ['-D', dataDir, '-U', user, `--pwfile=${passwordFile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { ...asOwner, stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initdb failed: ${stderr || String(error)}`, { cause: error });
  }
  const port = await freePort();
  const logFile = join(folder, 'postgres.log');
  const out = openSync(logFile, 'a');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const child: ChildProcess = spawn(
    binary('postgres'),
    ['-D', dataDir, '-p', String(port), '-k', dataDir, '-c', `listen_addresses=${HOST}`, '-c', 'max_connections=300'],
    { ...asOwner, stdio: ['ignore', out, out] },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port, 500))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `PostgreSQL did not start on port ${port}; see ${logFile}:\n${readFileSync(logFile, 'utf8').slice(-1500)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(`PostgreSQL ready on ${HOST}:${port} (data ${dataDir})`);
  return {
    host: HOST,
    port,
    user,
    password,
    dataDir,
    pid: child.pid ?? 0,
    async stop() {
      if (!exited) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGINT'); // fast shutdown: a clean checkpoint, then exit
        await gone;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
