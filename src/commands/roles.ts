/** `roles`: set up the owner, application and reporting roles (least privilege), idempotently. */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import {
  applyRoles,
  checkRoleNames,
  DEFAULT_ROLE_NAMES,
  readRolePrivileges,
  type RoleNames,
  type RolePrivileges,
} from '../schema/roles.js';
import { table } from '../util/format.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export function roles(options: PersistorOptions & Partial<RoleNames> = {}): Promise<RolePrivileges[]> {
  const { owner, app, reporting, ...rest } = options;
  const names = checkRoleNames({
    owner: owner ?? DEFAULT_ROLE_NAMES.owner,
    app: app ?? DEFAULT_ROLE_NAMES.app,
    reporting: reporting ?? DEFAULT_ROLE_NAMES.reporting,
  });
  return withRuntime(rest, async ({ db }) => {
    await db.transaction((tx) => applyRoles(tx, names));
    return readRolePrivileges(db);
  });
}

export function registerRolesCommand(program: Command, cli: CliContext): void {
  program
    .command('roles')
    .description(
      'create (when missing) and grant the owner, application (EXECUTE on the 17 routines only) and read-only reporting roles; migrate keeps them applied',
    )
    .option('--owner <role>', 'owns every object; the routines run with its rights', DEFAULT_ROLE_NAMES.owner)
    .option('--app <role>', 'the application: EXECUTE on the routines, no table access', DEFAULT_ROLE_NAMES.app)
    .option('--reporting <role>', 'read-only for status, never the secrets', DEFAULT_ROLE_NAMES.reporting)
    .option('--json', 'print one JSON document')
    .action(async (options: RoleNames, command: Command) => {
      const { config, output } = cli.prepare(command);
      const privileges = await roles({
        ...config,
        logger: cli.logger,
        owner: options.owner,
        app: options.app,
        reporting: options.reporting,
      });
      if (output.json) return output.document({ roles: privileges });
      printRoles(output.line.bind(output), privileges);
      output.line(`grant them to login users, e.g.: GRANT ${options.app} TO my_service;`);
    });
}

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
