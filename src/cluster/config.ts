/**
 * The cluster's description: one proxy database and N partition databases
 * (N a power of two), validated before anything connects. Defined with the
 * configuration (src/config/cluster.ts), since it is the config file's
 * `cluster` key; re-exported here for the cluster library.
 */
export { parseClusterConfig, type ClusterConfig, type ClusterConfigInput } from '../config/cluster.js';
