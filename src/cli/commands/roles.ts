/** The `roles` command line: the roles table and how to grant them. */
import type { Command } from 'commander';
import { roles } from '../../commands/roles.js';
import { APPLICATION_ROUTINES } from '../../schema/manifest.js';
import { DEFAULT_ROLE_NAMES, type RoleNames } from '../../schema/roles.js';
import type { CliContext } from '../context.js';
import { printRoles } from '../print.js';

/** Adds the command, its options and its printing to the program. */
export function registerRolesCommand(program: Command, cli: CliContext): void {
  program
    .command('roles')
    .description(
      `create (when missing) and grant the owner, application (EXECUTE on the ${APPLICATION_ROUTINES.length} routines only) and read-only reporting roles; migrate keeps them applied`,
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
