// The router image a fleet runs, from `-c image=REF` / `passagectl deploy --image REF`. A private ECR
// reference becomes an ECR repository reference, so CDK grants the task execution role the pull
// (ecr:GetAuthorizationToken, BatchGetImage, GetDownloadUrlForLayer on that repository); a plain
// registry name would leave the role without them and the tasks unable to start. ECR images are
// pinned by digest: a tag can be pushed over, and then tasks started later (a scale-out, a replaced
// task) would run other code than the one that was deployed.

import { ContainerImage, type ContainerDefinition, type ContainerImageConfig } from 'aws-cdk-lib/aws-ecs';
import { Repository } from 'aws-cdk-lib/aws-ecr';
import type { Construct } from 'constructs';
import { PassageError } from '../../router/errors.ts';

export class RouterImageError extends PassageError {
  readonly code = 'PASSAGE_IMAGE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'RouterImageError';
  }
}

/** `ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]/REPOSITORY[:TAG][@sha256:DIGEST]` */
const ECR_REF = /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?\/([a-z0-9](?:[a-z0-9._/-]{0,254}))(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/;
/** Docker's limit on a whole reference. */
export const MAX_IMAGE_REF_LENGTH = 512;

export type ImageRef =
  | { readonly kind: 'ecr'; readonly account: string; readonly region: string; readonly partition: string; readonly repository: string; readonly digest: string }
  | { readonly kind: 'registry'; readonly name: string };

/** Throws RouterImageError (one line, saying what to pass instead) for a reference the fleet must not run. */
export function parseImageRef(ref: string): ImageRef {
  if (ref.length === 0 || ref.length > MAX_IMAGE_REF_LENGTH || /\s/.test(ref)) {
    throw new RouterImageError(`image: expected an image reference of 1…${MAX_IMAGE_REF_LENGTH} characters without spaces, got ${JSON.stringify(ref.slice(0, 80))}`);
  }
  if (!/\.dkr\.ecr\./.test(ref)) return { kind: 'registry', name: ref };
  const m = ECR_REF.exec(ref);
  if (!m) throw new RouterImageError(`image: ${ref} is not an ECR reference (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY@sha256:DIGEST)`);
  const [, account, region, cn, repository, , digest] = m;
  if (digest === undefined) {
    throw new RouterImageError(
      `image: ${ref} names a tag; pin it by digest (${ref.replace(/:[\w][\w.-]*$/, '')}@sha256:…, from \`aws ecr describe-images --repository-name ${repository} --region ${region}\`), so tasks started later run the same image`,
    );
  }
  return { kind: 'ecr', account: account!, region: region!, partition: cn ? 'aws-cn' : 'aws', repository: repository!, digest };
}

/** The ContainerImage for a reference: ECR repositories bind per task definition, so the pull grant follows. */
export function routerImage(ref: string): ContainerImage {
  const parsed = parseImageRef(ref);
  return parsed.kind === 'ecr' ? new EcrDigestImage(parsed) : ContainerImage.fromRegistry(parsed.name);
}

class EcrDigestImage extends ContainerImage {
  readonly ref: Extract<ImageRef, { kind: 'ecr' }>;

  constructor(ref: Extract<ImageRef, { kind: 'ecr' }>) {
    super();
    this.ref = ref;
  }

  bind(scope: Construct, containerDefinition: ContainerDefinition): ContainerImageConfig {
    const { account, region, partition, repository, digest } = this.ref;
    const repo = Repository.fromRepositoryAttributes(scope, 'ImageRepository', {
      repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repository}`,
      repositoryName: repository,
    });
    return ContainerImage.fromEcrRepository(repo, digest).bind(scope, containerDefinition);
  }
}
