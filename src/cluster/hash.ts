/**
 * The cluster's routing hashes in TypeScript, identical to the proxy's
 * ecliptix_route functions (sql/cluster/proxy/01-routing.sql): to tell where
 * a phone's, a device's or an identifier's rows live (tests, operators).
 */
import { createHash } from 'node:crypto';

/** First 32 bits of md5 of the exact string, as a signed int4 (ecliptix_route.phone_hash). */
export function phoneHash(phoneNumber: string): number {
  return createHash('md5').update(phoneNumber, 'utf8').digest().readInt32BE(0);
}

/** md5 of the device_id's canonical text (ecliptix_route.device_hash). */
export function deviceHash(deviceId: string): number {
  return phoneHash(deviceId.toLowerCase());
}

/** The first 16 bits of an identifier a partition issued (ecliptix_route.id_hash). */
export function idHash(uniqueId: string): number {
  return Number.parseInt(uniqueId.replace(/-/g, '').slice(0, 4), 16);
}

/** The partition PL/Proxy picks for a hash: hash & (N-1). */
export function partitionOf(hash: number, partitionCount: number): number {
  return hash & (partitionCount - 1);
}
