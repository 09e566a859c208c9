// Where the Temporal server under test keeps its data, searched for a string: the files themselves (SQLite
// and its WAL, or PostgreSQL's data folder with its WAL) and, on PostgreSQL, every text, bytea and json
// value read through SQL, since PostgreSQL compresses large values on disk and a file scan alone could miss one.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

export const TEST_POSTGRES_ENV = 'TOOLGATE_TEST_POSTGRES';

const PostgresAccess = z.object({
  host: z.string(),
  port: z.number(),
  user: z.string(),
  password: z.string(),
  dataDir: z.string(),
});
export type PostgresAccess = z.infer<typeof PostgresAccess>;

/** The cluster's PostgreSQL when the tests run on the cluster (set by the global setup). */
export function testPostgres(): PostgresAccess | undefined {
  const raw = process.env[TEST_POSTGRES_ENV];
  return raw ? PostgresAccess.parse(JSON.parse(raw)) : undefined;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    const info = statSync(path);
    if (info.isDirectory()) return filesUnder(path);
    return info.isFile() ? [path] : []; // not sockets or pipes
  });
}

/** Files under `folder` whose bytes contain `needle`. */
export function filesContaining(folder: string, needle: string): string[] {
  const bytes = Buffer.from(needle);
  return filesUnder(folder).filter((file) => readFileSync(file).includes(bytes));
}

const SEARCH_SQL = `
DO $$
DECLARE c record; hits bigint;
BEGIN
  FOR c IN SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'public' AND data_type IN ('bytea', 'text', 'character varying', 'jsonb', 'json')
  LOOP
    IF c.data_type = 'bytea' THEN
      EXECUTE format('SELECT count(*) FROM %I WHERE position(convert_to(%L, ''UTF8'') in %I) > 0',
                     c.table_name, current_setting('toolgate.needle'), c.column_name) INTO hits;
    ELSE
      EXECUTE format('SELECT count(*) FROM %I WHERE strpos(%I::text, %L) > 0', c.table_name, c.column_name, current_setting('toolgate.needle')) INTO hits;
    END IF;
    IF hits > 0 THEN RAISE NOTICE 'found %.%', c.table_name, c.column_name; END IF;
  END LOOP;
END $$;`;

/** `database.table.column` of every PostgreSQL value (decompressed) that contains `needle`. */
export function postgresColumnsContaining(postgres: PostgresAccess, needle: string): string[] {
  return ['temporal', 'temporal_visibility'].flatMap((database) => {
    const args = ['-X', '-q', '-h', postgres.host, '-p', String(postgres.port), '-U', postgres.user, '-d', database];
    const result = spawnSync('psql', [...args, '-v', 'ON_ERROR_STOP=1', '-f', '-'], {
      input: `SET toolgate.needle = '${needle.replaceAll("'", "''")}';\n${SEARCH_SQL}`,
      env: { ...process.env, PGPASSWORD: postgres.password },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`psql on ${database} failed: ${result.stderr || result.error}`);
    return [...result.stderr.matchAll(/found (\S+)/g)].map((match) => `${database}.${match[1]}`);
  });
}
