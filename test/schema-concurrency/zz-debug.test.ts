import { it } from 'vitest';
import { createTestDatabase } from '../support/databases.js';
import { applyRequestedMutant, createMembership, verifiedRegistrationFlow, warmUp, tally } from './procedures.js';
it('debug', async () => {
  const target = await createTestDatabase('postgres', { withSchema: true });
  const db = await target.open({ maxConnections: 40 });
  console.log('mutant', await applyRequestedMutant(db));
  const src = (await db.query<{ s: string }>("select prosrc s from pg_proc where proname='create_membership'")).rows[0]!.s;
  console.log('for update count', (src.match(/for update/g) ?? []).length);
  await db.query("UPDATE ecliptix_internal.settings SET value = '100' WHERE name = 'max_failed_membership_attempts'");
  await warmUp(db, 40);
  for (let round = 0; round < 4; round++) {
  const flow = await verifiedRegistrationFlow(db, '+1555010000'+round, 42);
  const t0 = Date.now();
  const results = await Promise.allSettled(Array.from({ length: 16 }, () => createMembership(db, flow.flowUid, 42, flow.otpUid).then((r) => ({ ...r, t: Date.now() - t0 }))));
  console.log(tally(results.map((r) => r.status === 'fulfilled' ? r.value : {outcome: 'ERR'})), results.map((r) => r.status === 'fulfilled' ? `${r.value.outcome}@${r.value.t}` : `ERR ${(r.reason as Error).message}`));
  }
  await db.close(); await target.drop();
});
