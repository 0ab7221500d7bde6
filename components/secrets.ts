import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * A password kept in state as a secret: the configured one when given, otherwise one generated
 * once and kept. Generated ones are letters and digits only, so they survive URLs and shell
 * quoting in the services' environment.
 */
export function stackPassword(
  name: string,
  configured: string,
  parent: pulumi.Resource,
): pulumi.Output<string> {
  if (configured !== "") {
    return pulumi.secret(configured);
  }
  const generated = new random.RandomPassword(
    name,
    { length: 32, special: false, minLower: 4, minUpper: 4, minNumeric: 4 },
    { parent },
  );
  return pulumi.secret(generated.result);
}
