// Before `deploy` synthesizes anything: define every stack in-process, exactly as `cdk synth` will, so
// each router config is loaded by the router's own loader (RouterFleet) and the public keys by its key
// parser. A refusal is one line naming the regions-file key, e.g.
// `passage.regions.toml: public_keys: the routers in eu-west-1 would refuse their config (…)`.
// aws-cdk-lib is loaded only here, so commands that never deploy do not pay for it.

import { RegionsFileError } from '../../router/contracts/regions-file.ts';
import { CliError, EXIT_FAILURE } from '../context.ts';

/** The image is irrelevant to the check; a registry reference avoids hashing the repo as an asset. */
const PRECHECK_IMAGE = 'passage:precheck';

export async function checkRouterConfigs(regionsPath: string): Promise<void> {
  const [{ App }, { ContainerImage }, { definePassageFromFile }] = await Promise.all([
    import('aws-cdk-lib'),
    import('aws-cdk-lib/aws-ecs'),
    import('../../infra/stacks/from-regions-file.ts'),
  ]);
  try {
    await definePassageFromFile(new App({ autoSynth: false }), { regionsPath, image: ContainerImage.fromRegistry(PRECHECK_IMAGE) });
  } catch (error) {
    if (error instanceof RegionsFileError) throw new CliError(error.code, error.message, EXIT_FAILURE, { cause: error });
    throw error;
  }
}
