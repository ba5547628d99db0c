/**
 * A key ring per client for the stack's two connections (test/helpers/stack.ts): what the central side
 * holds (the tests' central ring and both clients'), the environment of a central worker holding them,
 * and of acme's agent holding its own ring only.
 */
import { connectionKeyRingVariable } from '../../temporal/data-converter';
import { GRANT_SIGNING_KEY_VARIABLE } from '../../temporal/agent-grant';
import { generateKeyRingText, parseKeyRing, type KeyRings } from '../../temporal/payload-codec';
import { ISYNC_CONNECTION_ID, OMNI_CONNECTION_ID } from './stack';
import { TEST_KEY_RING_TEXT } from './temporal';

export function clientKeyRings() {
  const acme = generateKeyRingText('acme-1');
  const bravo = generateKeyRingText('bravo-1');
  const rings: KeyRings = {
    central: parseKeyRing(TEST_KEY_RING_TEXT),
    byConnection: new Map([
      [OMNI_CONNECTION_ID, parseKeyRing(acme)],
      [ISYNC_CONNECTION_ID, parseKeyRing(bravo)],
    ]),
  };
  return {
    /** acme-omni's ring, as its variable's text. */
    acme,
    rings,
    centralEnv: { [connectionKeyRingVariable(OMNI_CONNECTION_ID)]: acme, [connectionKeyRingVariable(ISYNC_CONNECTION_ID)]: bravo },
    /** The agent is given its own client's ring, and no other key (nor the key that signs grants). */
    agentEnv: { PAYLOAD_CODEC_KEYS: '', [connectionKeyRingVariable(OMNI_CONNECTION_ID)]: acme, [GRANT_SIGNING_KEY_VARIABLE]: '' },
  };
}
