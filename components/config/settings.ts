import { z } from "zod";
import { APP_SETTINGS } from "./settings/app";
import { BACKUP_SETTINGS } from "./settings/backup";
import { CACHE_SETTINGS } from "./settings/cache";
import { DATABASE_SETTINGS } from "./settings/database";
import { EDGE_SETTINGS } from "./settings/edge";
import { GRAFANA_SETTINGS } from "./settings/grafana";
import { MONITORING_SETTINGS } from "./settings/monitoring";
import { NETWORK_SETTINGS } from "./settings/networks";

export type { PulumiType, Setting } from "./settings/setting";

/**
 * Every config key of the project, in the order the README lists them. Defaults come from the
 * runbook where it names a figure; the rest are sizes for one 8 GB host. Each area's keys are
 * declared in its module under settings/; the order of the areas here is the order of Pulumi.yaml
 * and of the README's table.
 */
export const SETTINGS = {
  ...EDGE_SETTINGS,
  ...NETWORK_SETTINGS,
  ...MONITORING_SETTINGS,
  ...GRAFANA_SETTINGS,
  ...DATABASE_SETTINGS,
  ...CACHE_SETTINGS,
  ...APP_SETTINGS,
  ...BACKUP_SETTINGS,
} as const;

export type SettingName = keyof typeof SETTINGS;

/** The validated values of every setting, before any cross-key derivation. */
export type SettingValues = {
  [K in SettingName]: z.output<(typeof SETTINGS)[K]["schema"]>;
};
