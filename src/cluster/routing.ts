/**
 * Which partition each routine runs on, chosen from its argument names by a
 * rule — so that a routine added to the manifest later is routed too, and one
 * the rule cannot place stops the deployment with a clear message.
 *
 * In order, the first that applies:
 * 1. `p_phone_number` → ecliptix_route.phone_hash (all rows of a number live on one partition);
 * 2. a uuid `p_<entity>_unique_id` for an entity on the phone's partition
 *    (phone, flow, otp, membership, membership_attempt) → ecliptix_route.id_hash:
 *    the partitions issue identifiers whose first 16 bits are their index;
 * 3. a uuid `p_app_device_id` → id_hash (the device's own partition);
 * 4. a uuid `p_device_id` → ecliptix_route.device_hash (device registration).
 * A routine routed by 1 or 2 that also takes `p_app_device_id` needs the
 * device's row on the phone's partition, which copies it in the same call when
 * the proxy hands it the row read on the device's partition: by 1, read first
 * unless the device lives on the phone's partition; by 2, only when the phone's
 * partition asks for it (see generate.ts, sql/cluster/partition/03-devices.sql).
 */
import { PersistorError } from '../errors.js';
import type { RoutineSignature } from './catalog.js';

export type RouteKind = 'phone' | 'id' | 'device';

export interface Route {
  kind: RouteKind;
  /** The argument whose hash selects the partition. */
  argument: string;
  /** The app device argument whose row is copied to the partition first, when the routine takes one. */
  copiesDevice?: string;
}

const ENTITY_ID = /^p_(phone|flow|otp|membership|membership_attempt)_unique_id$/;
const HASH_FUNCTION: Record<RouteKind, string> = {
  phone: 'ecliptix_route.phone_hash',
  id: 'ecliptix_route.id_hash',
  device: 'ecliptix_route.device_hash',
};

/** The RUN ON expression of a route, e.g. `ecliptix_route.phone_hash(p_phone_number)`. */
export function runOn(route: Route): string {
  return `${HASH_FUNCTION[route.kind]}(${route.argument})`;
}

export function routeOf(routine: RoutineSignature): Route {
  const typeOf = (name: string) => routine.argumentTypes[routine.argumentNames.indexOf(name)];
  const has = (name: string, type?: string) => routine.argumentNames.includes(name) && (type === undefined || typeOf(name) === type);
  const device = has('p_app_device_id', 'uuid') ? 'p_app_device_id' : undefined;
  const withDevice = (route: Route): Route => (device ? { ...route, copiesDevice: device } : route);

  if (has('p_phone_number')) return withDevice({ kind: 'phone', argument: 'p_phone_number' });
  const entity = routine.argumentNames.find((name) => ENTITY_ID.test(name) && typeOf(name) === 'uuid');
  if (entity) return withDevice({ kind: 'id', argument: entity });
  if (device) return { kind: 'id', argument: device };
  if (has('p_device_id', 'uuid')) return { kind: 'device', argument: 'p_device_id' };
  throw new PersistorError(
    'VALIDATION_FAILED',
    `cannot route ecliptix.${routine.name}(${routine.identityArguments}) across partitions: it has no argument the cluster routes by ` +
      '(p_phone_number, a uuid p_<phone|flow|otp|membership|membership_attempt>_unique_id, p_app_device_id or p_device_id); ' +
      'add one, or a rule in src/cluster/routing.ts',
  );
}
