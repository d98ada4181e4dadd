/**
 * The order of repeatable migrations: their declared dependencies first
 * (`-- persistor:depends-on`), ties broken by script path (so functions/
 * come before procedures/ before triggers/), so the order is explicit and the
 * same on every machine.
 */
import { PersistorError } from '../errors.js';
import type { Migration } from './files.js';

/** Repeatable migrations in dependency order (ties by path); MIGRATION_FILES_INVALID for an unknown dependency or a cycle. */
export function orderRepeatables(repeatables: readonly Migration[]): Migration[] {
  const byDescription = new Map(repeatables.map((m) => [m.description, m]));
  for (const migration of repeatables) {
    for (const dependency of migration.dependsOn) {
      if (!byDescription.has(dependency)) {
        throw new PersistorError(
          'MIGRATION_FILES_INVALID',
          `${migration.script}: depends-on ${dependency}, but there is no repeatable migration R__${dependency}.sql`,
        );
      }
    }
  }
  const remaining = new Map(repeatables.map((m) => [m.description, new Set(m.dependsOn)]));
  const ordered: Migration[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.entries()]
      .filter(([, dependencies]) => dependencies.size === 0)
      .map(([description]) => description)
      .sort((a, b) => byDescription.get(a)!.script.localeCompare(byDescription.get(b)!.script));
    if (ready.length === 0) {
      throw new PersistorError(
        'MIGRATION_FILES_INVALID',
        `repeatable migrations depend on each other in a cycle: ${[...remaining.keys()].sort().join(', ')}`,
      );
    }
    const next = ready[0]!;
    ordered.push(byDescription.get(next)!);
    remaining.delete(next);
    for (const dependencies of remaining.values()) dependencies.delete(next);
  }
  return ordered;
}

/** Every migration in the order `migrate`, `sql` and the drift check apply them: versioned by version, then repeatables by their dependencies. */
export function inDeploymentOrder(migrations: readonly Migration[]): Migration[] {
  return [...migrations.filter((m) => m.type === 'versioned'), ...orderRepeatables(migrations.filter((m) => m.type === 'repeatable'))];
}
