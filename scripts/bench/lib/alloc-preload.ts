// Preloaded into a benchmarked router (`--import`): the first SIGUSR2 starts V8's sampling heap
// profiler, counting objects that the young and old generation collectors already freed (what a
// connection allocates, not what it keeps); the second stops it and writes the profile to the file
// named by PASSAGE_ALLOC_PROFILE. SIGUSR1 is Node's own inspector signal, hence USR2. With
// PASSAGE_ALLOC_SURVIVORS=1 objects the young generation freed are left out: what remains lived through
// a scavenge (promoted, or still alive), the garbage that makes scavenges slow and fills the old space.
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const out = process.env.PASSAGE_ALLOC_PROFILE;
/** Bytes between samples: small enough for a stable per-exchange figure over a few thousand exchanges. */
const SAMPLING_INTERVAL_BYTES = 1024;

if (out !== undefined && out !== '') {
  const session = new Session();
  session.connect();
  let sampling = false;
  process.on('SIGUSR2', () => {
    if (!sampling) {
      sampling = true;
      session.post('HeapProfiler.startSampling', {
        samplingInterval: SAMPLING_INTERVAL_BYTES,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: process.env.PASSAGE_ALLOC_SURVIVORS !== '1',
      });
      return;
    }
    sampling = false;
    session.post('HeapProfiler.stopSampling', (err, result) => {
      writeFileSync(out, err === null ? JSON.stringify(result.profile) : JSON.stringify({ error: String(err) }));
    });
  });
}
