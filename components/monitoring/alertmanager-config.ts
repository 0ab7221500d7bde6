import { stringify } from "yaml";
import { duration } from "./duration";
import { JOBS } from "./selectors";

/** Where the receivers' credentials are mounted; each file holds one secret and nothing else. */
export const ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets";
export const SECRET_FILES = {
  slackWebhook: "slack-webhook-url",
  pagerdutyRoutingKey: "pagerduty-waste-mgmt-production.key",
  deadMansSwitch: "dead-mans-switch-url",
} as const;

/** The escalation matrix's destinations. */
export const CHANNELS = {
  critical: "#critical-incidents",
  customerSuccess: "#customer-success",
  security: "#security-incidents",
  platform: "#platform-alerts",
} as const;
export const PAGERDUTY_SERVICE = "waste-mgmt-production";

/** Receiver names, used by the routes and by the route tests. */
export const RECEIVERS = {
  page: "page-critical",
  payments: "page-payments",
  customerSuccess: "slack-customer-success",
  security: "slack-security",
  platform: "slack-platform",
  watchdog: "watchdog",
} as const;

/** Seconds Alertmanager waits to group a new alert; payments and the heartbeat go out at once. */
export const GROUP_WAIT = { default: 10, critical: 10, payments: 0, watchdog: 0 } as const;

/**
 * The Watchdog's heartbeat, in seconds. Alertmanager resends an unchanged group on the first
 * group_interval tick after repeat_interval has passed since the last send. With repeat_interval
 * a multiple of group_interval, one tick falls on the boundary and timer jitter decides (30 s and
 * 1 m gave 60 s here and 90 s there with Alertmanager 0.25); 45 s and 1 m put the ticks 15 s
 * before and 30 s after it: a ping every 90 s. A heartbeat check expecting one every 2 minutes
 * with 3 minutes' grace then pages within 5 minutes of the host dying, and one lost ping pages
 * nobody. Pinging faster would not page sooner: the checks' shortest period is a minute.
 */
export const HEARTBEAT = { groupInterval: 45, repeatInterval: 60 } as const;

/** Seconds between two pings of the heartbeat check. */
export const HEARTBEAT_PERIOD =
  Math.ceil(HEARTBEAT.repeatInterval / HEARTBEAT.groupInterval) * HEARTBEAT.groupInterval;

export interface AlertmanagerConfigInput {
  /** Directory holding the files of SECRET_FILES. */
  secretsDir?: string;
  /**
   * Whether a Slack webhook, a PagerDuty key and a heartbeat check's URL are configured; dev may
   * run without them.
   */
  slack: boolean;
  pagerduty: boolean;
  deadMansSwitch: boolean;
}

function slack(channel: string) {
  return {
    channel,
    send_resolved: true,
    title: "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }})",
    text: [
      "{{ range .Alerts }}*{{ .Annotations.summary }}*",
      "{{ .Annotations.description }}",
      "Runbook: {{ .Annotations.runbook_url }}",
      "{{ end }}",
    ].join("\n"),
  };
}

/**
 * alertmanager.yml after the runbook's escalation matrix: critical pages PagerDuty and
 * #critical-incidents, payments page at once, customer and security alerts go to their teams'
 * channels. Credentials are read from files, never written here.
 */
export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): string {
  const dir = input.secretsDir ?? ALERTMANAGER_SECRETS_DIR;
  const pagerduty = {
    routing_key_file: `${dir}/${SECRET_FILES.pagerdutyRoutingKey}`,
    client: PAGERDUTY_SERVICE,
    severity: "critical",
    description: "{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}",
    send_resolved: true,
  };

  const pager = () => (input.pagerduty ? { pagerduty_configs: [pagerduty] } : {});
  const chat = (channel: string) => (input.slack ? { slack_configs: [slack(channel)] } : {});
  // Alertmanager 0.25's webhook_config has no url_file, and the ping URL is a credential: the
  // Slack integration reads its URL from a file and POSTs JSON, which heartbeat checks accept as
  // a ping. A resolved Watchdog would only mean the pipeline stopped, so only firing is sent.
  const heartbeat = input.deadMansSwitch
    ? {
        slack_configs: [
          {
            api_url_file: `${dir}/${SECRET_FILES.deadMansSwitch}`,
            send_resolved: false,
            title: "{{ .CommonLabels.alertname }}",
            text: "{{ .CommonAnnotations.description }}",
          },
        ],
      }
    : {};

  const config = {
    global: {
      resolve_timeout: "5m",
      ...(input.slack ? { slack_api_url_file: `${dir}/${SECRET_FILES.slackWebhook}` } : {}),
    },
    route: {
      receiver: RECEIVERS.platform,
      group_by: ["alertname", "instance"],
      group_wait: duration(GROUP_WAIT.default),
      group_interval: "1m",
      repeat_interval: "4h",
      routes: [
        // The heartbeat goes out at once and then steadily; a dead host stops it, and the
        // heartbeat check outside the host pages.
        {
          receiver: RECEIVERS.watchdog,
          matchers: ['alertname="Watchdog"'],
          group_wait: duration(GROUP_WAIT.watchdog),
          group_interval: duration(HEARTBEAT.groupInterval),
          repeat_interval: duration(HEARTBEAT.repeatInterval),
        },
        {
          receiver: RECEIVERS.payments,
          matchers: ['team="payments"'],
          group_wait: duration(GROUP_WAIT.payments),
          group_interval: "30s",
          repeat_interval: "30m",
        },
        { receiver: RECEIVERS.security, matchers: ['team="security"'], continue: true },
        // Team routes continue, so that a critical alert of any team also pages.
        {
          receiver: RECEIVERS.customerSuccess,
          matchers: ['team="customer-success"'],
          continue: true,
          repeat_interval: "12h",
        },
        {
          receiver: RECEIVERS.page,
          matchers: ['severity="critical"'],
          group_wait: duration(GROUP_WAIT.critical),
          repeat_interval: "1h",
        },
      ],
    },
    // No rule stands for the host: on one host a dead host takes Prometheus and Alertmanager
    // with it, and only the heartbeat check outside notices. node-exporter's TargetDown is about
    // node-exporter alone and hides nothing.
    inhibit_rules: [
      // A database outage explains the backend's database check, the pool and the API's errors.
      {
        source_matchers: ['alertname="PostgresDown"'],
        target_matchers: [
          'alertname=~"BackendDatabaseCheckFailing|DatabasePoolNearExhaustion|PostgresConnectionsHigh|ApiErrorRateHigh|ApiLatencyHigh"',
        ],
      },
      {
        source_matchers: ['alertname="RedisDown"'],
        target_matchers: ['alertname="BackendRedisCheckFailing"'],
      },
      // PostgresDown and RedisDown also fire when their exporter cannot be scraped: that
      // exporter's own TargetDown says the same, and only that one is held back.
      {
        source_matchers: ['alertname=~"PostgresDown|RedisDown"'],
        target_matchers: ['alertname="TargetDown"'],
        equal: ["job", "instance"],
      },
      // A dead backend explains its failing checks, its errors and its unscraped /metrics.
      {
        source_matchers: ['alertname="BackendDown"'],
        target_matchers: [
          'alertname=~"BackendDatabaseCheckFailing|BackendRedisCheckFailing|ExternalServicesUnreachable|ApiErrorRateHigh|ApiLatencyHigh|Nginx5xxBurst"',
        ],
      },
      {
        source_matchers: ['alertname="BackendDown"'],
        target_matchers: ['alertname="TargetDown"', `job="${JOBS.backend}"`],
      },
      // The public URL's `/` is the frontend's page, and an expired origin certificate fails it
      // too (Cloudflare refuses the origin in prod): either explains an unreachable public site.
      {
        source_matchers: ['alertname=~"FrontendDown|CertificateExpired"'],
        target_matchers: ['alertname="PublicEndpointDown"'],
      },
    ],
    // Without credentials (dev) a receiver has no integration: alerts still show in Alertmanager.
    receivers: [
      { name: RECEIVERS.page, ...pager(), ...chat(CHANNELS.critical) },
      { name: RECEIVERS.payments, ...pager(), ...chat(CHANNELS.critical) },
      { name: RECEIVERS.customerSuccess, ...chat(CHANNELS.customerSuccess) },
      { name: RECEIVERS.security, ...chat(CHANNELS.security) },
      { name: RECEIVERS.platform, ...chat(CHANNELS.platform) },
      { name: RECEIVERS.watchdog, ...heartbeat },
    ],
  };
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    stringify(config, { lineWidth: 0 }),
  ].join("\n");
}
