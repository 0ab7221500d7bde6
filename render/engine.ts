import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as path from "node:path";

/** One resource the program registered, as the mock engine saw it. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** The parent's URN, or undefined for the stack itself. */
  parent?: string;
  custom: boolean;
  /** Inputs as the engine received them; secrets still wrapped (see `isSecretValue`). */
  inputs: Record<string, unknown>;
  /** Resource options that change how the engine replaces or deletes it. */
  options: {
    deleteBeforeReplace: boolean;
    protect: boolean;
    retainOnDelete: boolean;
    /** The provider reference (`urn::id`) the resource is managed with, default or explicit. */
    provider?: string;
  };
}

// The wire form of a secret, as `deserializeProperties` leaves it inside mock inputs.
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): value is { value: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

/** Replaces every secret with the marker `[secret]`, at any depth. */
export function redactSecrets(value: unknown): unknown {
  if (isSecretValue(value)) {
    return "[secret]";
  }
  if (Array.isArray(value)) {
    return value.map(redactSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v)]));
  }
  return value;
}

/** Removes the secret wrappers, keeping the values: for tests that need the plain inputs. */
export function revealSecrets(value: unknown): unknown {
  if (isSecretValue(value)) {
    return revealSecrets(value.value);
  }
  if (Array.isArray(value)) {
    return value.map(revealSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)]));
  }
  return value;
}

/** The stand-in a RandomPassword named `name` yields on the mock engine: 32 characters, marked. */
export function mockPassword(name: string): string {
  return `mockpw${createHash("sha256").update(name).digest("hex")}`.slice(0, 32);
}

/**
 * The stand-in image ID a docker.Image named `name` yields on the mock engine, where nothing is
 * built: a real local build's `repoDigest` is its image ID, `sha256:` and 64 hex digits.
 */
export function mockImageId(name: string): string {
  return `sha256:${createHash("sha256").update(`mock image ${name}`).digest("hex")}`;
}

/**
 * Outputs a real provider would compute and the program reads. Stand-ins are marked as such so
 * they can never be mistaken for real material.
 */
function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case "aws:s3/bucket:Bucket":
      return { arn: `arn:aws:s3:::${String(inputs.bucket)}` };
    case "aws:kms/key:Key":
      return { arn: `arn:aws:kms:mock-region:000000000000:key/mock-${name}` };
    case "aws:iam/user:User":
      return { arn: `arn:aws:iam::000000000000:user/mock-${name}` };
    case "aws:iam/accessKey:AccessKey":
      return { secret: mockPassword(name) };
    case "docker:index/image:Image":
      return { repoDigest: mockImageId(name) };
    case "random:index/randomPassword:RandomPassword":
      return { result: mockPassword(name) };
    case "tls:index/privateKey:PrivateKey":
      return {
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\nmock ${name}\n-----END PRIVATE KEY-----\n`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { certPem: `-----BEGIN CERTIFICATE-----\nmock ${name}\n-----END CERTIFICATE-----\n` };
    default:
      return {};
  }
}

/** The slice of the mock monitor's request that tells where a resource sits in the tree. */
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDeletebeforereplace(): boolean;
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getProvider(): string;
}

interface Monitor {
  registerResource(request: RegisterRequest, callback: (...args: unknown[]) => void): unknown;
}

/** URNs the way Pulumi's mock monitor forms them, so parents can be named by URN. */
function urnOf(stack: string, project: string, parent: string, type: string, name: string) {
  const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

/**
 * Installs Pulumi's mock engine for `project`/`stack` with the given raw config and records every
 * registration, with its URN and its parent's. Must run before the program module is loaded.
 */
export async function installMockEngine(
  project: string,
  stack: string,
  config: Record<string, string>,
  secretKeys: string[],
): Promise<RecordedResource[]> {
  const recorded: RecordedResource[] = [];
  const placement = new Map<
    string,
    { urn: string; parent?: string; options: RecordedResource["options"] }
  >();
  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const where = placement.get(`${args.type}::${args.name}`);
        recorded.push({
          urn: where?.urn ?? "",
          type: args.type,
          name: args.name,
          parent: where?.parent,
          custom: args.custom ?? true,
          inputs: args.inputs as Record<string, unknown>,
          options: where?.options ?? {
            deleteBeforeReplace: false,
            protect: false,
            retainOnDelete: false,
          },
        });
        const inputs = args.inputs as Record<string, unknown>;
        return {
          id: `${args.name}-id`,
          state: { ...inputs, ...computedOutputs(args.type, args.name, inputs) },
        };
      },
      call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
      },
    },
    project,
    stack,
    false,
  );

  // The mock API hands neither the parent nor the options to newResource: note them as the
  // request passes by.
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    const parent = request.getParent() || undefined;
    const urn = urnOf(stack, project, parent ?? "", request.getType(), request.getName());
    const options = {
      deleteBeforeReplace: request.getDeletebeforereplace(),
      protect: request.getProtect(),
      retainOnDelete: request.getRetainondelete(),
      provider: request.getProvider() || undefined,
    };
    placement.set(`${request.getType()}::${request.getName()}`, { urn, parent, options });
    return register(request, callback);
  };

  pulumi.runtime.setAllConfig(config, secretKeys);
  return recorded;
}

/**
 * Evaluates the program module inside a mock stack and resolves once every registration and
 * every export has settled.
 */
export async function evaluateProgram(
  programPath = path.join(__dirname, "..", "index"),
): Promise<Record<string, unknown> | undefined> {
  const outputs = await pulumi.runtime.runInPulumiStack(() =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Promise.resolve(require(programPath) as Record<string, unknown>),
  );
  // Exports can settle before the last registrations; draining the queue waits for those too.
  await pulumi.runtime.disconnect();
  return outputs;
}
