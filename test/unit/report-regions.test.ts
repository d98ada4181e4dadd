/** The report's region folding: no region under the minimum is shown, and neither is an "other" under it. */
import { describe, expect, it } from 'vitest';
import { foldSmallRegions, type RegionConversion } from '../../src/operations/report.js';

const region = (name: string, flows: number, verified = 0): RegionConversion => ({
  region: name,
  flowsStarted: flows,
  flowsVerified: verified,
  codesIssued: flows,
});

describe('foldSmallRegions', () => {
  it('shows the regions at the minimum or over it, adds up the rest under "other", most flows first', () => {
    expect(foldSmallRegions([region('US', 50, 30), region('GB', 12, 6), region('FR', 4, 1), region('DE', 7, 2)], 5)).toEqual([
      region('US', 50, 30),
      region('GB', 12, 6),
      { region: 'other', flowsStarted: 11, flowsVerified: 3, codesIssued: 11 }, // FR 4 alone is under 5: DE joins it
    ]);
  });

  it('never shows an "other" under the minimum: the next smallest region joins it', () => {
    // FR alone would be "other" with 1 flow — exactly FR's figures.
    expect(foldSmallRegions([region('US', 5, 3), region('GB', 3, 1), region('FR', 1, 0)], 3)).toEqual([
      region('US', 5, 3),
      { region: 'other', flowsStarted: 4, flowsVerified: 1, codesIssued: 4 },
    ]);
  });

  it('adds up the same region from several partitions before judging it', () => {
    expect(foldSmallRegions([region('US', 3, 1), region('US', 4, 2), region('GB', 2), region('FR', 3)], 5)).toEqual([
      region('US', 7, 3),
      { region: 'other', flowsStarted: 5, flowsVerified: 0, codesIssued: 5 },
    ]);
    // GB alone under 5 would be "other" with GB's figures: US joins it, whatever its size.
    expect(foldSmallRegions([region('US', 7), region('GB', 2)], 5)).toEqual([
      { region: 'other', flowsStarted: 9, flowsVerified: 0, codesIssued: 9 },
    ]);
  });

  it('with no small region has no "other"; with only small ones, only "other"', () => {
    expect(foldSmallRegions([region('US', 9), region('GB', 9)], 5).map((r) => r.region)).toEqual(['GB', 'US']);
    expect(foldSmallRegions([region('US', 1), region('GB', 2)], 5)).toEqual([
      { region: 'other', flowsStarted: 3, flowsVerified: 0, codesIssued: 3 },
    ]);
    expect(foldSmallRegions([], 5)).toEqual([]);
  });
});
