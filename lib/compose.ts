import { EventsLLM, installWrappers } from './llm.js';
import { FallbackLLM } from './fallback/wrapper.js';
import { RetryLLM } from './retry/wrapper.js';

// The base class hands out wrappers that extend it: wiring them here, after every class is
// defined, keeps module load order from ever leaving one undefined.
installWrappers({
  retry: (inner, config) => new RetryLLM(inner, config),
  fallbacks: (inner, llms, options) => new FallbackLLM(inner, llms, options),
  events: (inner, bus) => new EventsLLM(inner, bus),
});
