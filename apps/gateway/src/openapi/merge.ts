export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, unknown>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
  tags?: { name: string; description?: string }[];
  security?: Record<string, string[]>[];
  [key: string]: unknown;
}

export class DuplicatePathError extends Error {}

const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'An API key, mk_<prefix>_<secret>, as Authorization: Bearer <key>' },
  apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'The same API key in the X-API-Key header' },
};

/**
 * One document for the public API: every service's /v1 paths as the gateway exposes them, their
 * schemas namespaced by service so equal names cannot clash, and the gateway's API key scheme.
 * Two services declaring the same path is a deployment error and throws.
 */
export function mergeDocuments(own: OpenApiDocument, services: Record<string, OpenApiDocument>): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {};
  const owner = new Map<string, string>();
  const tags = new Map<string, { name: string; description?: string }>();

  for (const [name, source] of Object.entries(services)) {
    let doc = source;
    const names = Object.keys(doc.components?.schemas ?? {});
    if (names.length > 0) {
      let text = JSON.stringify(doc);
      for (const schema of names) text = text.replaceAll(`"#/components/schemas/${schema}"`, `"#/components/schemas/${name}.${schema}"`);
      doc = JSON.parse(text) as OpenApiDocument;
      for (const [schema, body] of Object.entries(doc.components?.schemas ?? {})) schemas[`${name}.${schema}`] = body;
    }
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (!path.startsWith('/v1/')) continue;
      const previous = owner.get(path);
      if (previous !== undefined) throw new DuplicatePathError(`Both ${previous} and ${name} declare ${path}: each public path must have one owner.`);
      owner.set(path, name);
      paths[path] = item;
    }
    for (const tag of doc.tags ?? []) tags.set(tag.name, tag);
  }

  const ownPaths = Object.fromEntries(
    Object.entries(own.paths ?? {}).map(([path, item]) => [
      path,
      Object.fromEntries(Object.entries(item).map(([method, op]) => [method, { ...(op as object), security: [] }])),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'Meridian API', version: own.info.version, description: 'Every route a client can call, through the gateway.' },
    servers: [{ url: '/' }],
    paths: { ...ownPaths, ...paths },
    components: { schemas, securitySchemes: SECURITY_SCHEMES },
    security: [{ bearer: [] }, { apiKey: [] }],
    tags: [...tags.values()],
  };
}
