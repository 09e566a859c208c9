// The codec endpoint Temporal Web UI and CLI call to show sealed payloads in the clear: POST /codec/decode.
// It needs a bearer token like every route, answers the browser's CORS preflight for the Web UI's origin,
// and opens only the payloads of rounds the caller may read, in every run of the round id (a payload is bound to
// the round id, not the run); the others come back still sealed.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError } from '../../runtime/api-error.ts';
import { CodecError, payloadNamespace, payloadRound, type EncryptionCodec } from '../../runtime/payload-codec.ts';
import { listRuns } from '../../runtime/round-runs.ts';
import { ApproversAttribute, RequesterAttribute } from '../../workflows/contract.ts';
import type { RoundOwnership } from '../access.ts';
import type { ApiContext } from '../api-context.ts';
import type { ApiMetrics } from '../metrics.ts';
import { describeRound } from '../round-facts.ts';
import { isInvalidArgument } from '../temporal-errors.ts';

const WirePayload = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() });
const CodecBody = z.object({ payloads: z.array(WirePayload).max(1000) });
type WirePayload = z.infer<typeof WirePayload>;

const fromWire = (payload: WirePayload) => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
  ),
  data: Buffer.from(payload.data ?? '', 'base64'),
});
const toWire = (payload: { metadata?: Record<string, Uint8Array> | null; data?: Uint8Array | null }): WirePayload => ({
  metadata: Object.fromEntries(
    Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  ),
  data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
});

/**
 * Who owns each run of the round id: the latest as described (visibility may not list a run just started yet),
 * then every run visibility lists, closed ones included. Empty when no run exists; a label that names no round
 * never reaches the visibility query.
 */
async function runOwners(context: ApiContext, roundId: string): Promise<RoundOwnership[]> {
  const latest = await describeRound(context, roundId);
  if (!latest) return [];
  return [
    latest,
    ...(await listRuns(context.client, roundId)).map((run) => ({
      requester: run.typedSearchAttributes.get(RequesterAttribute),
      approvers: run.typedSearchAttributes.get(ApproversAttribute) ?? [],
    })),
  ];
}

/** The round whose owners decide whether a payload opens: one of this namespace (or unbound), labelled. */
function roundToCheck(payload: ReturnType<typeof fromWire>, namespace: string): string | undefined {
  const bound = payloadNamespace(payload);
  return bound === undefined || bound === namespace ? payloadRound(payload) : undefined;
}

/**
 * Each distinct round costs a describe and a visibility list. 413, not 429: the same request never passes, however
 * long the client waits; it must send the payloads in smaller batches.
 */
function tooManyRounds(rounds: number, maxRounds: number): ApiError {
  return new ApiError(
    413,
    'too_many_rounds',
    `The payloads belong to ${rounds} rounds; limits.codecRoundsPerRequest allows ${maxRounds} per request: send them in smaller batches`,
    { budget: 'codec', setting: 'limits.codecRoundsPerRequest', rounds, maxRounds },
  );
}

export function codecRoutes(
  context: ApiContext,
  codec: EncryptionCodec,
  allowedOrigins: string[],
  metrics: ApiMetrics,
  maxRounds: number | undefined,
): FastifyPluginAsyncZod {
  return async (app) => {
    const cors = (origin: string | undefined) =>
      origin && allowedOrigins.includes(origin)
        ? {
            'access-control-allow-origin': origin,
            'access-control-allow-credentials': 'true',
            'access-control-allow-methods': 'POST, OPTIONS',
            'access-control-allow-headers': 'content-type, authorization, x-namespace',
            vary: 'Origin',
          }
        : { vary: 'Origin' };

    app.options('/codec/decode', { config: { public: true }, schema: { hide: true } }, async (request, reply) =>
      reply.code(204).headers(cors(request.headers.origin)).send(),
    );

    app.post(
      '/codec/decode',
      {
        schema: {
          summary: 'Temporal codec endpoint: opens the sealed payloads of rounds the caller may read',
          tags: ['operations'],
          body: CodecBody,
        },
      },
      async (request, reply) => {
        const wires = request.body.payloads.map((wire) => {
          const payload = fromWire(wire);
          return { wire, payload, round: roundToCheck(payload, context.namespace) };
        });
        const rounds = new Set(wires.flatMap(({ round }) => (round === undefined ? [] : [round])));
        // Refused before any round is looked up (maxRounds absent: limits are off).
        if (maxRounds !== undefined && rounds.size > maxRounds) {
          metrics.throttled.inc({ budget: 'codec', principal: request.principal });
          throw tooManyRounds(rounds.size, maxRounds);
        }
        const mayRead = new Map<string, Promise<boolean>>();
        const readable = (roundId: string) => {
          if (!mayRead.has(roundId)) {
            mayRead.set(
              roundId,
              // A later run started by someone else under the same id must not open the earlier runs' payloads.
              runOwners(context, roundId).then(
                (owners) =>
                  owners.length > 0 && owners.every((owner) => context.access.readsWhole(request.principal, owner)),
                // A label Temporal refuses as a workflow id (empty, too long) names no round anyone may read.
                (error: unknown) => {
                  if (isInvalidArgument(error)) return false;
                  throw error;
                },
              ),
            );
          }
          return mayRead.get(roundId)!;
        };
        const payloads = await Promise.all(
          wires.map(async ({ wire, payload, round }) => {
            if (round === undefined || !(await readable(round))) return wire;
            try {
              return toWire(codec.open(payload));
            } catch (error) {
              if (error instanceof CodecError) return wire; // sealed with a key this API does not hold
              throw error;
            }
          }),
        );
        return reply.headers(cors(request.headers.origin)).send({ payloads });
      },
    );
  };
}
