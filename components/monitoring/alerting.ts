import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { FIXED_NAME, hardenedContainerArgs, loopbackPort, seconds } from "../docker/container";
import { publishRenderedFile } from "../rendered-files";
import {
  ALERTMANAGER_SECRETS_DIR,
  renderAlertmanagerConfig,
  SECRET_FILES,
} from "./alertmanager-config";
import { MONITORING_IMAGES } from "./images";
import { MONITORING_ENDPOINTS } from "./ports";
import { PrometheusConfigInput, renderPrometheusConfig } from "./prometheus-config";
import { renderRuleFile, ruleAreas } from "./rules";

const RULES_DIR = "/etc/prometheus/rules";

/** Where Prometheus reads the hosted Prometheus's token from, when it remote-writes. */
export const REMOTE_WRITE_PASSWORD_FILE = "/etc/prometheus/secrets/remote-write-password";

export interface AlertingArgs {
  /** prometheus.yml's targets and labels; the rule files and remote store are set here. */
  prometheus: Omit<PrometheusConfigInput, "ruleFiles" | "remoteWrite">;
  /** A store to push every sample to as well (Grafana Cloud); its password is a secret. */
  remoteWrite?: { url: string; username: string; password: pulumi.Input<string> };
  /** The backend's DB_POOL_MAX, which the pool alert measures against. */
  poolMax: number;
  /** Where alerts link to the runbook. */
  runbookUrl: string;
  /** How long samples are kept, e.g. 15d. */
  retention: string;
  prometheusMemoryMb: number;
  alertmanagerMemoryMb: number;
  /** Receiver credentials (secrets); empty ones leave their integration out. */
  receivers: ReceiverCredentials;
  /** Networks Prometheus scrapes through; Alertmanager only needs the first. */
  monitoringNetwork: docker.Network;
  scrapeNetworks: docker.Network[];
  protectData: boolean;
}

function healthProbe(port: number): docker.types.input.ContainerHealthcheck {
  return {
    tests: ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}/-/healthy`],
    interval: seconds(15),
    timeout: seconds(5),
    retries: 3,
    startPeriod: seconds(30),
  };
}

/** What Alertmanager's receivers authenticate with; each is a Pulumi secret, empty if unset. */
export interface ReceiverCredentials {
  /** Slack incoming-webhook URL of the channels' messages. */
  slackWebhookUrl: string;
  /** Events API v2 routing key of PagerDuty service waste-mgmt-production. */
  pagerdutyRoutingKey: string;
  /** Ping URL of the heartbeat check the Watchdog keeps quiet. */
  deadMansSwitchUrl: string;
}

/** Alertmanager's receiver credentials as secret files; an empty one leaves its file out. */
export function receiverCredentialUploads(
  credentials: ReceiverCredentials,
): docker.types.input.ContainerUpload[] {
  return [
    [SECRET_FILES.slackWebhook, credentials.slackWebhookUrl],
    [SECRET_FILES.pagerdutyRoutingKey, credentials.pagerdutyRoutingKey],
    [SECRET_FILES.deadMansSwitch, credentials.deadMansSwitchUrl],
  ]
    .filter(([, value]) => value !== "")
    .map(([file, value]) => ({
      file: `${ALERTMANAGER_SECRETS_DIR}/${file}`,
      content: pulumi.secret(value),
      // Uploads belong to root and the image runs Alertmanager as nobody, so owner-only modes
      // would leave the receivers without credentials; nothing else runs in this container.
      permissions: "0444",
    }));
}

/** Prometheus with the rule files, and Alertmanager with the escalation matrix. */
export class Alerting extends pulumi.ComponentResource {
  public readonly prometheus: docker.Container;
  public readonly alertmanager: docker.Container;
  /** The data volumes, which the weekly system backup archives. */
  public readonly prometheusData: docker.Volume;
  public readonly alertmanagerData: docker.Volume;

  constructor(name: string, args: AlertingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:monitoring:Alerting", name, {}, opts);

    const remote = args.remoteWrite;
    const prometheusYml = renderPrometheusConfig({
      ...args.prometheus,
      ruleFiles: `${RULES_DIR}/*.yml`,
      ...(remote && {
        remoteWrite: {
          url: remote.url,
          username: remote.username,
          passwordFile: REMOTE_WRITE_PASSWORD_FILE,
        },
      }),
    });
    const rules = ruleAreas(args.poolMax).map((area) => ({
      file: `${RULES_DIR}/${area.name}.yml`,
      content: renderRuleFile(area, args.runbookUrl),
    }));
    const alertmanagerYml = renderAlertmanagerConfig({
      slack: args.receivers.slackWebhookUrl !== "",
      pagerduty: args.receivers.pagerdutyRoutingKey !== "",
      deadMansSwitch: args.receivers.deadMansSwitchUrl !== "",
    });
    publishRenderedFile({ path: "monitoring/prometheus.yml", content: prometheusYml });
    for (const rule of rules) {
      publishRenderedFile({
        path: `monitoring/rules/${rule.file.split("/").pop()}`,
        content: rule.content,
      });
    }
    publishRenderedFile({ path: "monitoring/alertmanager.yml", content: alertmanagerYml });

    const volume = (suffix: string) =>
      new docker.Volume(
        `${name}-${suffix}`,
        { name: `${name}-${suffix}` },
        { parent: this, protect: args.protectData, retainOnDelete: true },
      );
    this.prometheusData = volume("prometheus-data");
    this.alertmanagerData = volume("alertmanager-data");

    const am = MONITORING_ENDPOINTS.alertmanager;
    const secretFiles = receiverCredentialUploads(args.receivers);
    this.alertmanager = new docker.Container(
      `${name}-alertmanager`,
      {
        ...hardenedContainerArgs(args.alertmanagerMemoryMb),
        name: am.name,
        hostname: am.name,
        image: MONITORING_IMAGES.alertmanager,
        command: [
          "--config.file=/etc/alertmanager/alertmanager.yml",
          "--storage.path=/alertmanager",
          "--data.retention=120h",
        ],
        uploads: [
          { file: "/etc/alertmanager/alertmanager.yml", content: alertmanagerYml },
          ...secretFiles,
        ],
        volumes: [{ volumeName: this.alertmanagerData.name, containerPath: "/alertmanager" }],
        networksAdvanced: [{ name: args.monitoringNetwork.name, aliases: [am.name] }],
        ports: [loopbackPort(am.port, am.port)],
        healthcheck: healthProbe(am.port),
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, ...FIXED_NAME },
    );

    const prom = MONITORING_ENDPOINTS.prometheus;
    this.prometheus = new docker.Container(
      `${name}-prometheus`,
      {
        ...hardenedContainerArgs(args.prometheusMemoryMb),
        name: prom.name,
        hostname: prom.name,
        image: MONITORING_IMAGES.prometheus,
        command: [
          "--config.file=/etc/prometheus/prometheus.yml",
          "--storage.tsdb.path=/prometheus",
          `--storage.tsdb.retention.time=${args.retention}`,
          "--web.enable-lifecycle",
        ],
        uploads: [
          { file: "/etc/prometheus/prometheus.yml", content: prometheusYml },
          ...rules,
          // The image runs Prometheus as nobody and uploads belong to root, as for Alertmanager.
          ...(remote
            ? [
                {
                  file: REMOTE_WRITE_PASSWORD_FILE,
                  content: pulumi.secret(remote.password),
                  permissions: "0444",
                },
              ]
            : []),
        ],
        volumes: [{ volumeName: this.prometheusData.name, containerPath: "/prometheus" }],
        networksAdvanced: [args.monitoringNetwork, ...args.scrapeNetworks].map((network, i) => ({
          name: network.name,
          ...(i === 0 ? { aliases: [prom.name] } : {}),
        })),
        ports: [loopbackPort(prom.port, prom.port)],
        healthcheck: healthProbe(prom.port),
        wait: true,
        waitTimeout: 120,
      },
      { parent: this, dependsOn: [this.alertmanager], ...FIXED_NAME },
    );

    this.registerOutputs({
      prometheus: this.prometheus.id,
      alertmanager: this.alertmanager.id,
      prometheusData: this.prometheusData.name,
      alertmanagerData: this.alertmanagerData.name,
    });
  }
}
