import type { FastifyInstance } from 'fastify';

type Content = Record<string, { schema?: unknown }>;
type Response = { content?: Content; links?: Record<string, object> };
type Operation = { operationId?: string; requestBody?: object; responses?: Record<string, Response> };
type Document = { paths?: Record<string, Record<string, Operation>> };

/**
 * Collects the multipart request bodies routes declare (`config.openapiBody`: Fastify validates no multipart
 * body, so the route documents it). Call before the routes are added.
 */
export function collectMultipartBodies(app: FastifyInstance): Map<string, object> {
  const bodies = new Map<string, object>();
  app.addHook('onRoute', (route) => {
    const body = (route.config as { openapiBody?: object } | undefined)?.openapiBody;
    if (body)
      bodies.set(`${String(route.method).toLowerCase()} ${route.url.replace(/:([a-z_]+)/g, '{$1}')}`, body);
  });
  return bodies;
}

/**
 * The OpenAPI document as sent: the multipart bodies put in, and every error response documented as what it
 * is, `application/json` (a route that `produces` a file, text or an event stream answers its errors in JSON).
 */
export function finishDocument(document: object, multipartBodies: Map<string, object>): object {
  const doc = document as Document;
  for (const [key, body] of multipartBodies) {
    const [method, path] = key.split(' ');
    const op = doc.paths?.[path]?.[method];
    if (op) op.requestBody = body;
  }
  for (const [path, ops] of Object.entries(doc.paths ?? {}))
    for (const [method, op] of Object.entries(ops)) {
      op.operationId ??= operationId(method, path);
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        if (!(Number(status) >= 400) || !response.content) continue;
        const schema = Object.values(response.content)[0]?.schema;
        response.content = { 'application/json': { schema } };
      }
    }
  addLinks(doc);
  return doc;
}

/** `get /api/v1/models/{id}` → `get_api_v1_models_id`: stable, unique per operation. */
const operationId = (method: string, path: string) =>
  `${method}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_')}`.replace(/_$/, '');

const V3_MODEL = '/v3/wml_instances/{instance_id}/published_models/{published_model_id}';
const V3_DEPLOYMENT = `${V3_MODEL}/deployments/{deployment_id}`;
/** What a created resource's answer leads to: [from, status, [to, parameters]...]. */
const LINKS: [string, string, [string, Record<string, string>][]][] = [
  [
    'post /api/v1/models',
    '201',
    [
      ...['get', 'delete'].map((m): [string, Record<string, string>] => [
        `${m} /api/v1/models/{id}`,
        { id: '$response.body#/model/id' },
      ]),
      ['get /api/v1/models/{id}/versions', { id: '$response.body#/model/id' }],
      ['post /api/v1/models/{id}/versions', { id: '$response.body#/model/id' }],
      ...['', '/file'].map((tail): [string, Record<string, string>] => [
        `get /api/v1/models/{id}/versions/{version}${tail}`,
        { id: '$response.body#/model/id', version: '$response.body#/version/version' },
      ]),
    ],
  ],
  [
    'post /api/v1/connections',
    '201',
    ['get /api/v1/connections/{id}', 'delete /api/v1/connections/{id}']
      .concat(['buckets', 'objects', 'object'].map((t) => `get /api/v1/connections/{id}/${t}`))
      .map((to) => [to, { id: '$response.body#/id' }]),
  ],
  [
    'post /api/v1/deployments',
    '201',
    ['get', 'delete']
      .map((m) => `${m} /api/v1/deployments/{id}`)
      .concat(['run', 'online'].map((t) => `post /api/v1/deployments/{id}/${t}`))
      .map((to) => [to, { id: '$response.body#/id' }]),
  ],
  [
    'post /api/v1/deployments/{id}/run',
    '202',
    ['get /api/v1/jobs/{id}', 'get /api/v1/jobs/{id}/failures', 'get /api/v1/jobs/{id}/events']
      .concat(['report', 'failures.jsonl', 'failures.csv'].map((t) => `get /api/v1/jobs/{id}/${t}`))
      .concat(['cancel', 'rerun'].map((t) => `post /api/v1/jobs/{id}/${t}`))
      .map((to) => [to, { id: '$response.body#/id' }]),
  ],
  [
    'post /v3/wml_instances/{instance_id}/published_models',
    '201',
    [
      `get ${V3_MODEL}`,
      `delete ${V3_MODEL}`,
      `get ${V3_MODEL}/deployments`,
      `post ${V3_MODEL}/deployments`,
    ].map((to) => [
      to,
      { instance_id: '$request.path.instance_id', published_model_id: '$response.body#/metadata/guid' },
    ]),
  ],
  [
    `post ${V3_MODEL}/deployments`,
    '201',
    [`get ${V3_DEPLOYMENT}`, `delete ${V3_DEPLOYMENT}`, `post ${V3_DEPLOYMENT}/online`].map((to) => [
      to,
      {
        instance_id: '$request.path.instance_id',
        published_model_id: '$request.path.published_model_id',
        deployment_id: '$response.body#/metadata/guid',
      },
    ]),
  ],
];

/** OpenAPI links from each create to what uses the created id (for clients, and stateful API tests). */
function addLinks(doc: Document): void {
  const find = (key: string) => {
    const [method, path] = key.split(' ');
    return doc.paths?.[path]?.[method];
  };
  for (const [from, status, targets] of LINKS) {
    const response = find(from)?.responses?.[status];
    if (!response) continue;
    for (const [to, parameters] of targets) {
      const target = find(to);
      if (!target?.operationId) continue;
      response.links ??= {};
      response.links[target.operationId] = { operationId: target.operationId, parameters };
    }
  }
}
