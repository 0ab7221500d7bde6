/**
 * Connection slots PostgreSQL keeps for superusers once every other slot is taken, so the
 * provider, the backup jobs and an operator's psql still get in while the pool is exhausted.
 */
export const SUPERUSER_RESERVED_CONNECTIONS = 3;

/** How many connections the app role may hold beyond the backend's pool: a deploy overlaps two. */
export const APP_ROLE_HEADROOM = 5;

/** The connection limit of each login role for a backend pool of `poolMax`. */
export function roleConnectionLimits(poolMax: number) {
  return { app: poolMax + APP_ROLE_HEADROOM, reporting: 10, monitoring: 5 } as const;
}

/** The smallest max_connections that lets every role reach its limit beside the superusers. */
export function connectionsNeeded(poolMax: number): number {
  const limits = roleConnectionLimits(poolMax);
  return limits.app + limits.reporting + limits.monitoring + SUPERUSER_RESERVED_CONNECTIONS;
}
