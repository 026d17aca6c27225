// The whole deployment as the regions file describes it: the file and its public keys read and checked,
// then every stack defined (and every router config checked by the router's loader, in RouterFleet).
// Shared by the CDK app and by `passagectl deploy`, which runs it before synth so a config the routers
// would refuse is reported in one line instead of deep in CDK's output.

import type { App } from 'aws-cdk-lib';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { loadRegionsFile, readTrustedKeyFiles, RegionsFileError } from '../../router/contracts/regions-file.ts';
import { definePassage, type PassageStacks } from './passage.ts';

export interface PassageFromFileProps {
  readonly regionsPath: string;
  readonly image: ContainerImage;
  readonly account?: string;
}

/** Throws RegionsFileError (naming the file and the key to fix) for anything the operator can change. */
export async function definePassageFromFile(app: App, props: PassageFromFileProps): Promise<PassageStacks> {
  const regions = await loadRegionsFile(props.regionsPath);
  try {
    const keys = await readTrustedKeyFiles(props.regionsPath, regions);
    return definePassage(app, {
      regions,
      image: props.image,
      publicKeys: keys.map(({ name, pem }) => ({ name, pem })),
      ...(props.account === undefined ? {} : { account: props.account }),
    });
  } catch (error) {
    if (error instanceof RegionsFileError && error.file === undefined) throw error.inFile(props.regionsPath);
    throw error;
  }
}
