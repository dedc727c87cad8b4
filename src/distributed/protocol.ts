/**
 * Who speaks which protocol: a learner and its actors are separate installs, possibly of different
 * mario-rl versions, and must refuse each other cleanly rather than exchange messages one side
 * cannot read.
 *
 *   learner → actors   the announcement (object `config`) carries PROTOCOL and the learner's mario-rl
 *                      version; an actor of another PROTOCOL refuses to join, naming both versions,
 *                      and `mario-rl actor` exits with 4 (src/train/actor.ts)
 *   actors → learner   every fragment starts with "MRF" and its format byte (FRAGMENT_FORMAT); the
 *                      learner drops and counts a fragment of another format (`unknown_format`),
 *                      saying once per format which one it got (src/train/distributed-learner.ts)
 *
 * PROTOCOL is the revision of everything that crosses the broker (announcement, status, weights
 * manifest and chunks, fragments); bump it, and FRAGMENT_FORMAT with it when the fragment's bytes
 * change, whenever one side of the old revision could not read the new one. Revision 1: "MRF1"
 * fragments (JSON header, then the arrays), weights as chunks and a manifest on the stream
 * NS_weights, `config` and `status` in the object store NS-run. A learner whose announcement has
 * no `protocol` (from before the field) is taken for revision 1, which it spoke.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This install's protocol revision (see the module comment for what it covers). */
export const PROTOCOL = 1;

/** Format byte after "MRF" of the fragments this install writes and reads ('1'). */
export const FRAGMENT_FORMAT = 0x31;

let version: string | undefined;
/** This install's mario-rl version (package.json), for messages about mismatches. */
export function packageVersion(): string {
  // The nearest package.json named mario-rl above this module (src/distributed/ in a checkout, dist/
  // when bundled); found here rather than through src/native.ts, a layer above this one.
  for (let dir = dirname(fileURLToPath(import.meta.url)); version === undefined; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mario-rl' && typeof pkg.version === 'string') version = pkg.version;
    }
    if (version === undefined && dirname(dir) === dir) version = 'unknown';
  }
  return version;
}

/** What a learner's announcement says about its side of the protocol (absent fields: revision 1, version unknown). */
export interface ProtocolStamp {
  protocol?: number;
  version?: string;
}

/**
 * Why an actor of this install cannot act for a learner whose announcement says `stamp`, or null
 * when it can. The message names both sides' mario-rl versions and protocol revisions.
 */
export function protocolMismatch(stamp: ProtocolStamp, runId: string): string | null {
  const protocol = stamp.protocol ?? 1;
  if (protocol === PROTOCOL) return null;
  const theirs = `mario-rl ${stamp.version ?? '(a version from before protocol stamps)'}, protocol ${protocol}`;
  return (
    `Expected a learner speaking this actor's protocol (mario-rl ${packageVersion()}, protocol ${PROTOCOL}) for run ${runId} ` +
    `but received one of ${theirs}: run the same mario-rl version on the learner and every actor; exiting`
  );
}
