import { INTERVALS, THRESHOLDS } from "../contract";
import { JOBS, sel, TLS_PROBES } from "../selectors";
import { heldAlert, RuleArea } from "./model";

const certificate = sel({ job: JOBS.tls, probe: TLS_PROBES.certificate });
const endpoint = sel({ job: JOBS.tls, probe: TLS_PROBES.endpoint });
const daysLeft = `(probe_ssl_earliest_cert_expiry${certificate} - time()) / 86400`;

/** The public certificate: warned at 21 days, paged at 7, and when it has run out. */
export const tlsRules: RuleArea = {
  name: "tls",
  interval: INTERVALS.slow,
  rules: [
    {
      alert: "CertificateExpiringSoon",
      expr: `${daysLeft} < ${THRESHOLDS.certificateWarningDays}
and
${daysLeft} >= ${THRESHOLDS.certificateCriticalDays}`,
      for: 0,
      severity: "warning",
      team: "platform",
      summary: `TLS certificate expires in less than ${THRESHOLDS.certificateWarningDays} days`,
      description:
        'The certificate of {{ $labels.instance }} expires in {{ $value | printf "%.0f" }} days.',
    },
    {
      alert: "CertificateExpiryCritical",
      expr: `${daysLeft} < ${THRESHOLDS.certificateCriticalDays}
and
${daysLeft} > 0`,
      for: 0,
      severity: "critical",
      team: "platform",
      summary: `TLS certificate expires in less than ${THRESHOLDS.certificateCriticalDays} days`,
      description:
        'The certificate of {{ $labels.instance }} expires in {{ $value | printf "%.1f" }} days.',
    },
    {
      alert: "CertificateExpired",
      expr: `${daysLeft} <= 0`,
      for: 0,
      severity: "critical",
      team: "platform",
      summary: "TLS certificate has expired",
      description: "The certificate of {{ $labels.instance }} expired; browsers refuse the site.",
    },
    heldAlert({
      alert: "PublicEndpointDown",
      expr: `probe_success${endpoint} == 0`,
      for: 120,
      severity: "critical",
      team: "platform",
      summary: "The public HTTPS endpoint fails",
      describe: (held) =>
        `HTTPS requests to {{ $labels.instance }} have failed for ${held} (TLS or HTTP).`,
    }),
  ],
};
