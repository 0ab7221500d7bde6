import { stringify } from "yaml";
import { duration } from "./duration";

/** Where the receivers' credentials are mounted; each file holds one secret and nothing else. */
export const ALERTMANAGER_SECRETS_DIR = "/etc/alertmanager/secrets";
export const SECRET_FILES = {
  slackWebhook: "slack-webhook-url",
  pagerdutyRoutingKey: "pagerduty-waste-mgmt-production.key",
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

/** Seconds Alertmanager waits to group a new alert; payments go out at once. */
export const GROUP_WAIT = { default: 10, critical: 10, payments: 0 } as const;

export interface AlertmanagerConfigInput {
  /** Directory holding the files of SECRET_FILES. */
  secretsDir?: string;
  /** Whether a Slack webhook and a PagerDuty key are configured; dev may run without them. */
  slack: boolean;
  pagerduty: boolean;
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
        // Alertmanager 0.25 has no url_file for webhooks, so the dead-man's switch that should
        // receive this stays unwired rather than holding its URL in plain text.
        { receiver: RECEIVERS.watchdog, matchers: ['alertname="Watchdog"'], repeat_interval: "1m" },
        {
          receiver: RECEIVERS.payments,
          matchers: ['team="payments"'],
          group_wait: duration(GROUP_WAIT.payments),
          group_interval: "30s",
          repeat_interval: "30m",
        },
        { receiver: RECEIVERS.security, matchers: ['team="security"'], continue: true },
        {
          receiver: RECEIVERS.customerSuccess,
          matchers: ['team="customer-success"'],
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
      // A dead backend explains its failing checks, its errors and an unreachable public site.
      {
        source_matchers: ['alertname="BackendDown"'],
        target_matchers: [
          'alertname=~"BackendDatabaseCheckFailing|BackendRedisCheckFailing|ExternalServicesUnreachable|ApiErrorRateHigh|ApiLatencyHigh|Nginx5xxBurst"',
        ],
      },
      // The host's scrape failing explains every target on it failing too.
      {
        source_matchers: ['alertname="TargetDown"', 'job="node"'],
        target_matchers: ['alertname="TargetDown"', 'job!="node"'],
      },
      // A critical alert makes the warning about the same thing noise.
      {
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: ["alertname", "instance"],
      },
    ],
    // Without credentials (dev) a receiver has no integration: alerts still show in Alertmanager.
    receivers: [
      { name: RECEIVERS.page, ...pager(), ...chat(CHANNELS.critical) },
      { name: RECEIVERS.payments, ...pager(), ...chat(CHANNELS.critical) },
      { name: RECEIVERS.customerSuccess, ...chat(CHANNELS.customerSuccess) },
      { name: RECEIVERS.security, ...chat(CHANNELS.security) },
      { name: RECEIVERS.platform, ...chat(CHANNELS.platform) },
      { name: RECEIVERS.watchdog },
    ],
  };
  return [
    "# Rendered by the waste-management stack; a deploy overwrites local edits.",
    stringify(config, { lineWidth: 0 }),
  ].join("\n");
}
