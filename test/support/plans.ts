/** Reading PostgreSQL's EXPLAIN (FORMAT JSON) output. */

/** One node of a plan: the fields the tests read are named, the rest are there too. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [field: string]: unknown;
}

/** Every node of a plan, the root first. */
export function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}
