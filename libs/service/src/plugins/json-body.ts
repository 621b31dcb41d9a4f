import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.js';

/** No Meridian body nests deeper than this; a deeper one is refused before it is parsed or validated. */
export const MAX_JSON_DEPTH = 64;

/** How deeply the arrays and objects of a JSON text nest, counted without parsing it; stops past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c) i++; // backslash: the next character is escaped
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x7b || char === 0x5b) {
      depth++;
      if (depth > deepest && (deepest = depth) > limit) return deepest;
    } else if (char === 0x7d || char === 0x5d) depth--;
  }
  return deepest;
}

/**
 * JSON bodies parsed by Fastify's own parser (prototype poisoning refused), once their nesting is
 * known to be bounded: validating a body nested thousands deep would exhaust the stack.
 */
export const jsonBody = fp(
  async (app) => {
    const parse = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (jsonDepth(body as string) > MAX_JSON_DEPTH) return done(new HttpProblem(400, 'body-too-deep', `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`), undefined);
      parse(request, body as string, done);
    });
  },
  { name: 'meridian-json-body' },
);
