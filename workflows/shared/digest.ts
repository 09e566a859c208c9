// The digest an approval carries, for clients that check it against the full arguments the API shows them.
export { argsDigest, canonicalJson } from '../canonical-json.ts';
