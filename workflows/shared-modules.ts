// Modules every round of a worker thread shares (runtime/workflow-bundle.ts, `preloadModules`): pure libraries
// whose module-scope memos are worth keeping. Listed here, in a module with side effects, because webpack drops a
// bare `require` of a side-effect-free package whose result is unused, and Temporal's preload list is just that.
//
// Ed25519 builds its base point's multiplication table on first use and keeps it at module scope: evaluated per
// round, that table was most of the check of the round's signed input (about 11 of 14 ms of worker CPU a round).
// The table is a pure function of the curve: sharing it leaks nothing from one round to another.
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { hexToBytes } from '@noble/hashes/utils.js';

export const SHARED_MODULES = [ed25519, sha512, hexToBytes] as const;
