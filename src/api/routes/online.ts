import type { FastifyReply } from 'fastify';
import { type TObject, Type } from 'typebox';
import { errorResponses, OnlineInput, OnlineOutput } from '../../contract/index.js';
import type { KerasBatchService } from '../../service/index.js';

/**
 * The schema of an online scoring route: `{"values": ...}` (one record, with or without the batch axis, or
 * many) → `{"fields": ["prediction","prediction_classes","probability"], "values": [[pred, class, prob], ...]}`.
 * The answer is written as ready JSON text (documented by {@link OnlineOutput}).
 */
export const onlineSchema = <P extends TObject>(params: P, tags: string[]) => ({
  tags,
  summary: "Score records online with the deployment's model version",
  params,
  body: OnlineInput,
  response: { 200: Type.Unsafe<string>(OnlineOutput), ...errorResponses },
});

/** Scores `values` with a deployment and answers with the service's JSON text; `started` is when the request came. */
export async function replyScored(
  reply: FastifyReply,
  service: KerasBatchService,
  observe: (seconds: number, records: number) => void,
  started: number,
  deploymentId: string,
  values: unknown[],
) {
  const { body, records } = await service.score(deploymentId, values);
  observe((performance.now() - started) / 1000, records);
  return reply
    .type('application/json; charset=utf-8')
    .serializer((p: unknown) => String(p))
    .send(body);
}
