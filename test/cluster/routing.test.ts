/**
 * The routing rule (src/cluster/routing.ts) over signatures as a partition's
 * catalog gives them: each routine of the manifest is placed by its argument
 * names, a routine added later is placed by the same rule, and one with
 * nothing to route by stops the deployment naming it. (No database: the
 * deployment tests check the rule against the real catalog.)
 */
import { describe, expect, it } from 'vitest';
import type { RoutineSignature } from '../../src/cluster/catalog.js';
import { partitionConnectionString, proxyLogin } from '../../src/cluster/generate.js';
import { parseClusterConfig } from '../../src/config/cluster.js';
import { routeOf, runOn } from '../../src/cluster/routing.js';

function signature(name: string, args: [string, string][]): RoutineSignature {
  const list = args.map(([n, t]) => `${n} ${t}`).join(', ');
  return {
    name,
    arguments: list,
    identityArguments: list,
    result: 'TABLE(outcome text)',
    returnsSet: true,
    argumentNames: args.map(([n]) => n),
    argumentTypes: args.map(([, t]) => t),
  };
}

describe('routing rule', () => {
  it('routes by phone number, then by an identifier the partitions issued, then by device', () => {
    expect(routeOf(signature('login_membership', [['p_phone_number', 'character varying']]))).toEqual({
      kind: 'phone',
      argument: 'p_phone_number',
    });
    expect(
      routeOf(
        signature('ensure_phone_number', [
          ['p_phone_number', 'character varying'],
          ['p_region', 'character varying'],
          ['p_app_device_id', 'uuid'],
        ]),
      ),
    ).toEqual({ kind: 'phone', argument: 'p_phone_number', copiesDevice: 'p_app_device_id' });
    const flowStart = routeOf(
      signature('initiate_verification_flow', [
        ['p_app_device_id', 'uuid'],
        ['p_phone_unique_id', 'uuid'],
        ['p_purpose', 'text'],
      ]),
    );
    expect(flowStart).toEqual({ kind: 'id', argument: 'p_phone_unique_id', copiesDevice: 'p_app_device_id' });
    expect(runOn(flowStart)).toBe('ecliptix_route.id_hash(p_phone_unique_id)');
    expect(
      routeOf(
        signature('update_membership_secure_key', [
          ['p_membership_unique_id', 'uuid'],
          ['p_secure_key', 'bytea'],
          ['p_flow_unique_id', 'uuid'],
        ]),
      ),
    ).toEqual({ kind: 'id', argument: 'p_membership_unique_id' });
    expect(
      routeOf(
        signature('register_app_device_if_not_exists', [
          ['p_app_instance_id', 'uuid'],
          ['p_device_id', 'uuid'],
        ]),
      ),
    ).toEqual({ kind: 'device', argument: 'p_device_id' });
    // A routine added later: placed by the same rule.
    expect(routeOf(signature('list_devices', [['p_app_device_id', 'uuid']]))).toEqual({ kind: 'id', argument: 'p_app_device_id' });
  });

  it('refuses a routine it cannot place, naming it', () => {
    expect(() => routeOf(signature('purge_everything', [['p_before', 'timestamp with time zone']]))).toThrow(
      /cannot route ecliptix\.purge_everything\(p_before timestamp with time zone\) across partitions/,
    );
    // An identifier argument of another type is not an identifier the partitions issued.
    expect(() => routeOf(signature('by_text_id', [['p_flow_unique_id', 'text']]))).toThrow(/cannot route ecliptix\.by_text_id/);
  });

  it('gives PL/Proxy connection strings without the login, and one login for every partition', () => {
    expect(partitionConnectionString('postgres://app:s3cr%27t@db1.internal:6432/part_1?sslmode=require&application_name=a b', 5)).toBe(
      "host=db1.internal port=6432 dbname=part_1 sslmode=require application_name='a b' connect_timeout=5",
    );
    const cluster = (partitions: string[], extra = {}) => parseClusterConfig({ proxy: 'postgres://x@h/proxy', partitions, ...extra });
    expect(proxyLogin(cluster(['postgres://app:pw@h1/p0', 'postgres://app:pw@h2/p1']))).toEqual({ user: 'app', password: 'pw' });
    expect(() => proxyLogin(cluster(['postgres://app:pw@h1/p0', 'postgres://other:pw@h2/p1']))).toThrow(/different logins: set proxyLogin/);
    expect(proxyLogin(cluster(['postgres://a@h1/p0', 'postgres://b@h2/p1'], { proxyLogin: { user: 'proxy' } }))).toEqual({ user: 'proxy' });
  });
});
