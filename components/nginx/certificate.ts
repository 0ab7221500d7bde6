import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** A certificate chain and its private key, both in PEM. The key is always a secret. */
export interface CertificatePair {
  certificatePem: pulumi.Output<string>;
  privateKeyPem: pulumi.Output<string>;
}

/** A self-signed certificate valid for 90 days, renewed by any deploy in its last 30. */
export function selfSignedCertificate(
  name: string,
  domain: string,
  parent: pulumi.Resource,
): CertificatePair {
  const key = new tls.PrivateKey(
    `${name}-key`,
    { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent },
  );
  const cert = new tls.SelfSignedCert(
    `${name}-cert`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: domain, organization: "Waste Management (development)" },
      dnsNames: Array.from(new Set([domain, "localhost"])),
      ipAddresses: ["127.0.0.1"],
      validityPeriodHours: 24 * 90,
      earlyRenewalHours: 24 * 30,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
    },
    { parent },
  );
  return { certificatePem: cert.certPem, privateKeyPem: pulumi.secret(key.privateKeyPem) };
}

/** The operator's certificate from config; both halves are kept secret in state. */
export function configuredCertificate(certificate: string, privateKey: string): CertificatePair {
  return {
    certificatePem: pulumi.secret(certificate),
    privateKeyPem: pulumi.secret(privateKey),
  };
}
