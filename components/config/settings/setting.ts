import { z } from "zod";

/** The types Pulumi.yaml can declare for a project config key. */
export type PulumiType = "string" | "integer" | "boolean" | "array";

/** One config key: the single source for validation, Pulumi.yaml and the README reference. */
export interface Setting<S extends z.ZodType = z.ZodType> {
  type: PulumiType;
  description: string;
  default: z.input<S>;
  schema: S;
  /**
   * Set with `pulumi config set --secret`. Validation reads it as plain text like every key, since
   * an Output cannot be checked before resources exist; the program wraps it in `pulumi.secret`
   * wherever it uses it, so no resource input or stack output holds it in the clear.
   */
  secret?: boolean;
}

/** Declares one key, keeping its schema's type so that SettingValues knows each value's. */
export function setting<S extends z.ZodType>(spec: Setting<S>): Setting<S> {
  return spec;
}

/** A secret that may stay empty: the program generates one, or does without. */
export const optionalSecret = z.string();
