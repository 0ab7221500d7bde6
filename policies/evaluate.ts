import {
  EnforcementLevel,
  Policies,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

/** A resource as the policies see it: its inputs as plain JSON, secrets unwrapped. */
export interface PlainResource {
  urn: string;
  type: string;
  name: string;
  props: Record<string, unknown>;
}

/** One broken guarantee: which policy, how strictly it is enforced, what is wrong and where. */
export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  urn?: string;
}

class NotApplicable extends Error {}

// What the engine would pass for a resource declared without options.
const NO_OPTIONS: PolicyResourceOptions = {
  protect: false,
  ignoreChanges: [],
  aliases: [],
  customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
  additionalSecretOutputs: [],
};

/** Runs one validation, treating a call of notApplicable as nothing to report. */
async function unlessNotApplicable(validation: () => Promise<void> | void): Promise<void> {
  try {
    await validation();
  } catch (error) {
    if (!(error instanceof NotApplicable)) {
      throw error;
    }
  }
}

function notApplicable(reason?: string): never {
  throw new NotApplicable(reason);
}

function isStackPolicy(
  policy: ResourceValidationPolicy | StackValidationPolicy,
): policy is StackValidationPolicy {
  return "validateStack" in policy;
}

// Type checks by class need the provider SDKs' classes; the policies compare type tokens instead.
function noClassChecks(): never {
  throw new Error("the runbook's policies compare type tokens, not classes");
}

/**
 * Runs policies over a stack's resources the way the Pulumi engine does during a preview, for the
 * offline check and the tests: resource policies once per resource, stack policies once, each
 * with its config (the engine fills schema defaults; here they come from the policies' own).
 */
export async function evaluatePolicies(
  resources: PlainResource[],
  policies: Policies,
  config: Record<string, object> = {},
): Promise<Violation[]> {
  const violations: Violation[] = [];
  const stackTags = new Map<string, string>();
  for (const policy of policies) {
    const enforcementLevel = policy.enforcementLevel ?? "advisory";
    if (enforcementLevel === "disabled") {
      continue;
    }
    const report = (message: string, urn?: string) =>
      violations.push({ policy: policy.name, enforcementLevel, message, urn });
    const getConfig = <T extends object>() => (config[policy.name] ?? {}) as T;
    if (isStackPolicy(policy)) {
      const policyResources: PolicyResource[] = resources.map((r) => ({
        ...r,
        opts: NO_OPTIONS,
        dependencies: [],
        propertyDependencies: {},
        isType: noClassChecks,
        asType: noClassChecks,
      }));
      await unlessNotApplicable(() =>
        policy.validateStack(
          { resources: policyResources, stackTags, getConfig, notApplicable },
          report,
        ),
      );
      continue;
    }
    const validations = [policy.validateResource ?? []].flat();
    for (const resource of resources) {
      const args: ResourceValidationArgs = {
        ...resource,
        opts: NO_OPTIONS,
        stackTags,
        isType: noClassChecks,
        asType: noClassChecks,
        getConfig,
        notApplicable,
      };
      for (const validate of validations) {
        await unlessNotApplicable(() => validate(args, (message) => report(message, resource.urn)));
      }
    }
  }
  return violations;
}
