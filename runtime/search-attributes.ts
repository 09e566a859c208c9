// toolgate's custom search attributes on a namespace, through the operator service: registered idempotently
// on any cluster the caller may administer, with a clear error where it may not or where a name has another type.
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import protos from '@temporalio/proto'; // CommonJS without named exports Node can detect
import { SEARCH_ATTRIBUTES } from '../workflows/contract.ts';
import { cliTypeName } from './search-attribute-names.ts';

const { IndexedValueType } = protos.temporal.api.enums.v1;
const GRPC_ALREADY_EXISTS = 6;
const GRPC_PERMISSION_DENIED = 7;

/** A problem that waiting will not cure: a name registered with another type, or no right to register. */
export class SearchAttributeError extends Error {
  override readonly name = 'SearchAttributeError';
}

function indexedValueType(type: SearchAttributeType): number {
  return IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];
}

/** Names the namespace lacks; throws when one exists with another type. */
async function missingAttributes(
  connection: Connection,
  namespace: string,
): Promise<(typeof SEARCH_ATTRIBUTES)[number][]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return SEARCH_ATTRIBUTES.filter(({ name, type }) => {
    const actual = customAttributes[name] as number | undefined;
    if (actual === undefined) return true;
    if (actual === indexedValueType(type)) return false;
    const actualType = (IndexedValueType[actual] ?? String(actual)).replace('INDEXED_VALUE_TYPE_', '');
    throw new SearchAttributeError(
      `search attribute ${name} is registered as ${cliTypeName(actualType)}, expected ${cliTypeName(type)}`,
    );
  });
}

/**
 * Registers what is missing and returns the names still missing afterwards (a fresh server may take a moment
 * to list them). Safe to call at every start: an attribute another caller registered meanwhile is fine.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const missing = await missingAttributes(connection, namespace);
  if (missing.length === 0) return [];
  log(`registering search attributes ${missing.map(({ name }) => name).join(', ')} on namespace ${namespace}`);
  const searchAttributes = Object.fromEntries(missing.map(({ name, type }) => [name, indexedValueType(type)]));
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
  } catch (error) {
    const code = isGrpcServiceError(error) ? (error.code as number) : undefined;
    if (code === GRPC_PERMISSION_DENIED) {
      throw new SearchAttributeError(
        `the caller may not administer namespace ${namespace}, so it cannot register ${missing.map(({ name }) => name).join(', ')}; ` +
          'ask its administrator to (docs/operations.md, "Running on a cluster")',
      );
    }
    if (code !== GRPC_ALREADY_EXISTS) throw error;
  }
  return (await missingAttributes(connection, namespace)).map(({ name }) => name);
}
