import { ResourceValidationPolicy } from "@pulumi/policy";
import { parse } from "yaml";
import { commandSetting, uploadedFile, validateContainer } from "./containers-view";

/** Receiver settings that hold a credential, each of which has a `*_file` twin to use instead. */
const INLINE_CREDENTIALS = [
  "api_url",
  "routing_key",
  "service_key",
  "bot_token",
  "auth_password",
  "password",
  "credentials",
  "bearer_token",
  "slack_api_url",
  "smtp_auth_password",
  "opsgenie_api_key",
  "victorops_api_key",
  "telegram_bot_token",
];

/** The dotted paths of every inline credential in a parsed Alertmanager configuration. */
export function inlineCredentials(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => inlineCredentials(item, `${path}[${index}]`));
  }
  if (typeof value !== "object" || value === null) {
    return [];
  }
  return Object.entries(value).flatMap(([key, inner]) => {
    const here = path ? `${path}.${key}` : key;
    return INLINE_CREDENTIALS.includes(key) && typeof inner === "string" && inner.length > 0
      ? [here]
      : inlineCredentials(inner, here);
  });
}

export const receiverCredentialsInFiles: ResourceValidationPolicy = {
  name: "receiver-credentials-in-files",
  description:
    "Alertmanager reads every receiver credential (Slack webhooks, PagerDuty keys, passwords, " +
    "tokens) from a file, never from its configuration, which the stack keeps readable.",
  enforcementLevel: "mandatory",
  validateResource: validateContainer((props, name, reportViolation) => {
    const path = commandSetting(props, "config.file");
    const text = path === undefined ? undefined : uploadedFile(props, path);
    const config = text === undefined ? undefined : (parse(text) as Record<string, unknown> | null);
    if (config?.receivers === undefined) {
      return;
    }
    for (const setting of inlineCredentials(config)) {
      reportViolation(
        `Container ${name}: ${path} holds ${setting} inline; ` +
          `use its _file setting with the secret uploaded as a file.`,
      );
    }
  }),
};
