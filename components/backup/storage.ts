import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { S3_REPO_PATH } from "./layout";

export interface BackupBucketArgs {
  /** Bucket name, from config backupBucket. */
  bucket: string;
  /** Days after pgBackRest deletes or replaces an object before the old version goes to Glacier. */
  glacierAfterDays: number;
  /** Days overwritten or deleted object versions are kept; more than glacierAfterDays. */
  noncurrentExpiryDays: number;
}

/**
 * The IAM actions pgBackRest needs on its own prefix of the bucket (`repo1-path`): list it, read,
 * write and delete its objects, and use the bucket's key. Nothing else in the account.
 */
export function bucketPolicy(bucketArn: string, keyArn: string): string {
  const prefix = S3_REPO_PATH.replace(/^\//, "");
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "FindTheBucket",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation"],
        Resource: [bucketArn],
      },
      {
        Sid: "ListTheRepository",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [bucketArn],
        Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}/*`] } },
      },
      {
        Sid: "ReadAndWriteTheRepository",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: [`${bucketArn}/${prefix}/*`],
      },
      {
        Sid: "UseTheBucketKey",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        Resource: [keyArn],
      },
    ],
  });
}

/**
 * Prod's backup repository: a private, versioned S3 bucket encrypted with its own KMS key, the
 * versions pgBackRest deleted or replaced moved to Glacier and later expired, and an IAM user
 * that may touch this bucket and this key and nothing else. pgBackRest encrypts the files before
 * they leave the host too.
 */
export class BackupBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly key: aws.kms.Key;
  public readonly user: aws.iam.User;
  /** The access key pair pgBackRest signs with; both halves are secrets. */
  public readonly accessKeyId: pulumi.Output<string>;
  public readonly secretAccessKey: pulumi.Output<string>;

  constructor(name: string, args: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("waste:backup:BackupBucket", name, {}, opts);
    const child = { parent: this };
    // Losing the bucket is losing every backup: Pulumi refuses to delete it.
    const kept = { parent: this, protect: true };

    this.key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts the objects of the backup bucket ${args.bucket}`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      kept,
    );
    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: args.bucket, forceDestroy: false },
      kept,
    );
    const bucketId = this.bucket.bucket;

    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucketId,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketId, versioningConfiguration: { status: "Enabled" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          {
            applyServerSideEncryptionByDefault: {
              sseAlgorithm: "aws:kms",
              kmsMasterKeyId: this.key.arn,
            },
            bucketKeyEnabled: true,
          },
        ],
      },
      child,
    );
    // A Glacier object cannot be read without a restore request, and pgBackRest reads every
    // current object of its repository: backup/ and archive/ for restores and verify, including
    // archive.info, written once at stanza-create and read by every archive-push, and extra/
    // (manifests, Redis snapshots, system archives) through repo-get. Age says nothing about
    // need: the only full left after failed nightlies is old and vital. pgBackRest itself
    // deletes what its retention no longer needs; versioning keeps those deleted and replaced
    // versions, which nothing but a person recovering from a mistake ever reads. So only they
    // move to Glacier, and only under the repository's prefix.
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketId,
        rules: [
          {
            id: "replaced-versions-to-glacier",
            status: "Enabled",
            filter: { prefix: `${S3_REPO_PATH.replace(/^\//, "")}/` },
            noncurrentVersionTransitions: [
              { noncurrentDays: args.glacierAfterDays, storageClass: "GLACIER" },
            ],
            noncurrentVersionExpiration: { noncurrentDays: args.noncurrentExpiryDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      { parent: this, dependsOn: [versioning] },
    );

    this.user = new aws.iam.User(
      `${name}-pgbackrest`,
      { name: `pgbackrest-${pulumi.getStack()}`, path: "/backup/" },
      child,
    );
    new aws.iam.UserPolicy(
      `${name}-pgbackrest-policy`,
      {
        user: this.user.name,
        policy: pulumi
          .all([this.bucket.arn, this.key.arn])
          .apply(([bucketArn, keyArn]) => bucketPolicy(bucketArn, keyArn)),
      },
      child,
    );
    const accessKey = new aws.iam.AccessKey(
      `${name}-pgbackrest-key`,
      { user: this.user.name },
      child,
    );
    this.accessKeyId = pulumi.secret(accessKey.id);
    this.secretAccessKey = pulumi.secret(accessKey.secret);

    this.registerOutputs({
      bucket: this.bucket.bucket,
      key: this.key.arn,
      user: this.user.name,
      accessKeyId: this.accessKeyId,
      secretAccessKey: this.secretAccessKey,
    });
  }
}
