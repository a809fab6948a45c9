import type { FastifyInstance } from 'fastify';
import type { KerasBatchService } from '../../service/index.js';
import { errorResponses, onlineInput, onlineOutput } from '../schemas.js';

/**
 * Online scoring: `{"values": ...}` (one record, with or without the batch axis, or many) →
 * `{"fields": ["prediction","prediction_classes","probability"], "values": [[pred, class, prob], ...]}`.
 * `deploymentOf` maps the path parameters to a deployment id (and checks they belong together).
 */
export function onlineRoute(
  app: FastifyInstance,
  service: KerasBatchService,
  url: string,
  params: object,
  tags: string[],
  observe: (seconds: number, records: number) => void,
  deploymentOf: (params: Record<string, string>) => Promise<string>,
): void {
  app.post(
    url,
    {
      schema: {
        tags,
        summary: "Score records online with the deployment's model version",
        params,
        body: onlineInput,
        response: { 200: onlineOutput, ...errorResponses },
      },
    },
    async (req, reply) => {
      const started = performance.now();
      const id = await deploymentOf(req.params as Record<string, string>);
      const { body, records } = await service.score(id, (req.body as { values: unknown }).values);
      observe((performance.now() - started) / 1000, records);
      return reply
        .type('application/json; charset=utf-8')
        .serializer((p: unknown) => p as string)
        .send(body);
    },
  );
}
