import { isLLM } from '../brand.js';
import { checkFunction, describeValue } from '../validate.js';
import type { LLMMiddleware } from './types.js';

const HOOKS = ['transformRequest', 'wrapAsk', 'wrapStream', 'describe', 'explain'] as const;

/** Checks what `use()` was given: a named object whose hooks are functions, whose routes are LLMs. */
export function checkMiddleware(middleware: LLMMiddleware): void {
  if (typeof middleware !== 'object' || middleware === null)
    throw new TypeError(`\`use\` takes a middleware object, got ${describeValue(middleware)}`);
  if (typeof middleware.name !== 'string' || middleware.name === '')
    throw new TypeError(
      `a middleware's \`name\` must be a non-empty string, got ${describeValue(middleware.name)}`,
    );
  for (const hook of HOOKS) checkFunction(`${middleware.name}.${hook}`, middleware[hook]);
  const { routes, guards } = middleware;
  if (routes !== undefined) {
    if (!Array.isArray(routes))
      throw new TypeError(
        `\`${middleware.name}.routes\` must be an array of LLMs, got ${describeValue(routes)}`,
      );
    routes.forEach((llm, i) => {
      if (!isLLM(llm))
        throw new TypeError(`\`${middleware.name}.routes[${i}]\` must be an LLM, got ${describeValue(llm)}`);
    });
  }
  if (guards !== undefined && !Array.isArray(guards))
    throw new TypeError(
      `\`${middleware.name}.guards\` must be an array of guards, got ${describeValue(guards)}`,
    );
}
