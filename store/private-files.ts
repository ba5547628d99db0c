/**
 * Everything the engine writes under the data folder is its owner's alone: files 0600, folders 0700
 * (a problem's or an alert's words, a lease, a demo secret are nobody else's to read on a shared machine).
 */
import { chmodSync, mkdirSync } from 'node:fs';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIRECTORY_MODE = 0o700;

/** `writeFileSync` / `appendFileSync` options: the mode of a file they create. */
export const PRIVATE_FILE = { mode: PRIVATE_FILE_MODE } as const;

/** Makes the folder (and the missing ones above it) owner-only. */
export function makePrivateDirectory(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
}

/**
 * A folder made before files were owner-only: closed to others, which closes everything below it.
 * Never fails: a folder that is not there, or not this user's, is left as it is.
 */
export function closeExistingDirectory(path: string): void {
  try {
    chmodSync(path, PRIVATE_DIRECTORY_MODE);
  } catch {
    // not there yet (made owner-only when it is), or not ours to change
  }
}
