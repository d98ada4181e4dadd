/** Printing shared by more than one CLI command: the roles table (`roles`, `status`) and a backup's one-line description (`backup`, `migrate --backup`). */
import type { BackupResult } from '../commands/backup.js';
import type { RolePrivileges } from '../schema/roles.js';
import { formatBytes, formatDuration, table } from '../util/format.js';

/** `<file> (<size>, <format>) in <duration>`. */
export function describeBackup(result: BackupResult): string {
  const how = result.format === 'pg_dump-custom' ? `pg_dump custom format, ${result.tool}` : 'PGlite data directory, tar.gz';
  return `${result.file} (${formatBytes(result.bytes)}, ${how}) in ${formatDuration(result.durationMs)}`;
}

/** The least-privilege roles and what each may do, one row per role. */
export function printRoles(line: (text: string) => void, privileges: readonly RolePrivileges[]): void {
  line(
    table(
      ['PURPOSE', 'ROLE', 'TABLE GRANTS', 'ROUTINES', 'SECURE KEY', 'CREATE'],
      privileges.map((p) => [
        p.purpose,
        p.roleName,
        String(p.tablesWithPrivileges),
        String(p.executableRoutines),
        p.readsSecureKey ? 'readable' : 'no',
        p.createsInEcliptix ? 'yes' : 'no',
      ]),
    ),
  );
}
