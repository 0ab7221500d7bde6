/**
 * The runbook's monitoring contract in one place: how often each thing is looked at, the
 * thresholds its alerts fire at, and how fast a page must reach its receiver. Rules, scrape
 * configs, routes and the detection-time test all read these figures; none repeats them.
 */

/** Seconds between looks, per scrape job or rule group. */
export const INTERVALS = {
  /** Default scrape and rule evaluation interval. */
  default: 15,
  /** Fast path for the emergencies with a 60 s budget. */
  fast: 10,
  /** The backend's own metrics and the payments group: payment failures have 30 s to page. */
  realtime: 5,
  /** Certificate probes: expiry moves in days, not seconds. */
  slow: 60,
} as const;

/** The runbook's health-check table: path and the seconds each endpoint has to answer. */
export const HEALTH_CHECKS = {
  backendHealth: { service: "backend", path: "/health", timeout: 5, interval: INTERVALS.fast },
  backendDatabase: {
    service: "backend",
    path: "/health/database",
    timeout: 10,
    interval: INTERVALS.default,
  },
  backendRedis: { service: "backend", path: "/health/redis", timeout: 5, interval: INTERVALS.fast },
  backendExternal: {
    service: "backend",
    path: "/health/external-services",
    timeout: 10,
    interval: INTERVALS.default,
  },
  frontendHealth: {
    service: "frontend",
    path: "/api/health",
    timeout: 10,
    interval: INTERVALS.default,
  },
} as const;

export type HealthCheckName = keyof typeof HEALTH_CHECKS;

/** The public endpoint's and the certificate's probes: seconds to answer, and between probes. */
export const TLS_PROBE = { timeout: 10, interval: INTERVALS.slow } as const;

/** The runbook's thresholds. */
export const THRESHOLDS = {
  cpuPercent: 80,
  memoryPercent: 85,
  diskFreePercent: 10,
  apiP95Seconds: 2,
  /** Share of 5xx answers of the API above which it pages. */
  apiErrorRatio: 0.05,
  /** Share of failed payment attempts that pages at once. */
  paymentFailureRatio: 0.1,
  /**
   * Attempts a minute below which failures do not page: 1 failure in 3 attempts at night is bad
   * luck, not an outage (ExternalServicesUnreachable still sees a provider that is down).
   */
  paymentMinAttemptsPerMinute: 10,
  /** Active users falling by more than this share within an hour. */
  activeUsersDropRatio: 0.2,
  /** Churn rate rising by more than this share against the same time a week before. */
  churnRiseRatio: 0.25,
  /**
   * Churn rate (a share of the accounts) below which a rise means nothing: against a week with
   * no churn at all, any cancellation would be a rise.
   */
  churnRateFloor: 0.01,
  /** Share of the backend's pool (DB_POOL_MAX) in use that warns of exhaustion. */
  poolUsageRatio: 0.9,
  /** Share of Postgres's max_connections in use. */
  connectionUsageRatio: 0.8,
  certificateWarningDays: 21,
  certificateCriticalDays: 7,
  /** Failed logins per minute, across the API, that look like an attack. */
  authFailuresPerMinute: 30,
  /** 4xx and 5xx answers per second at nginx that make a burst. */
  nginx4xxPerSecond: 20,
  nginx5xxPerSecond: 5,
} as const;

/**
 * The runbook's backup promises as thresholds: a full every day at 02:00 (26 h leaves two hours
 * for a slow night), an incremental every hour (two hours, since the full's hour has none), and
 * WAL shipped at least every minute (archive_timeout), which a failing archive_command breaks.
 */
export const BACKUP_THRESHOLDS = {
  fullMaxAgeSeconds: 26 * 3600,
  incrementalMaxAgeSeconds: 2 * 3600,
  /** Seconds without an archived segment, beside failures, that mean archiving is stuck. */
  archiveLagSeconds: 120,
  /** Redis is snapshotted hourly: two hours is one missed run. */
  redisSnapshotMaxAgeSeconds: 2 * 3600,
  /** The system backup runs weekly: eight days leaves a day for a slow or late Sunday. */
  systemMaxAgeSeconds: 8 * 24 * 3600,
} as const;

/**
 * The payment outage the 30 s budget is held to: at least half of the attempts failing, steadily,
 * with at least paymentMinAttemptsPerMinute attempts a minute. A smaller share crosses the
 * threshold later (20 % needs half the minute's window, not a fifth of it), and so pages later.
 */
export const PAYMENT_OUTAGE = { failureShare: 0.5 } as const;

/**
 * Share of a rate's range an outage must fill before the alert's value crosses its threshold,
 * for the alerts whose budget assumes an outage of a given size; the detection model counts the
 * whole range for every other alert on a rate. For a share of failures over a window: the
 * threshold over the outage's failure share.
 */
export const WINDOW_FILL: Record<string, number> = {
  PaymentFailuresHigh: THRESHOLDS.paymentFailureRatio / PAYMENT_OUTAGE.failureShare,
};

/** Seconds from the start of an emergency to its page, per the runbook's escalation matrix. */
export const RESPONSE_BUDGETS: Record<string, number> = {
  PaymentFailuresHigh: 30,
  BackendDown: 60,
  RedisDown: 60,
  PostgresDown: 120,
};

/** Severity decides the route: critical pages on-call, warning goes to chat. */
export type Severity = "critical" | "warning" | "info";

/** The team whose channel an alert lands in, besides on-call for critical ones. */
export type Team = "platform" | "payments" | "customer-success" | "security";
