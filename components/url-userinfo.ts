import * as pulumi from "@pulumi/pulumi";

/**
 * A user and password ready for a URL's userinfo: a configured password may hold `@ / # : ?`,
 * which would otherwise end the userinfo early and hand the rest to the host or the path.
 */
export function userinfo(
  user: pulumi.Input<string>,
  password: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi
    .all([user, password])
    .apply(([u, p]) => `${encodeURIComponent(u)}:${encodeURIComponent(p)}`);
}
