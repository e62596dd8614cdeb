export * from './classes.js';
export { classifySdkError, retryAfterMs, redact, type ErrorScope, type SdkErrors } from './classify.js';
