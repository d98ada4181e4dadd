-- What the proxy's generated part was last deployed from (src/cluster/deploy.ts), or no row.
SELECT digest FROM ecliptix_route.generated;
