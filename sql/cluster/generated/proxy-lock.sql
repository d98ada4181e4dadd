-- The same, locked until the deployment's transaction ends: two deployments write one after the other.
SELECT digest FROM ecliptix_route.generated FOR UPDATE;
