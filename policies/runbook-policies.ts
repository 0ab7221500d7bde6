import { Policies } from "@pulumi/policy";
import { backupsScheduled } from "./backups";
import { containersHardened, imagesPinned, publicPortsOnlyAtTheEdge } from "./containers";
import { noExposedDatabases } from "./databases";
import { healthChecksAsRunbook } from "./health-checks";
import { receiverCredentialsInFiles } from "./secrets";
import { certificateExpiryChecked, tlsEnforced } from "./tls";

/** Every guarantee of the operations runbook that a stack must keep to be deployed. */
export const RUNBOOK_POLICIES: Policies = [
  imagesPinned,
  containersHardened,
  publicPortsOnlyAtTheEdge,
  noExposedDatabases,
  healthChecksAsRunbook,
  tlsEnforced,
  certificateExpiryChecked,
  backupsScheduled,
  receiverCredentialsInFiles,
];
