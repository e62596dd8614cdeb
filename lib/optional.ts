/**
 * Loads an optional package (a provider SDK, the tokenizer) when it is first needed, never at
 * import time. The name is a variable so that bundlers leave the import alone: an application
 * that installs only some of the optional packages must still build. The CommonJS build (and
 * jest) loads with `require`, matching the copy a CommonJS application loads; the ES module
 * build with `import()`, matching an ES module application's.
 */
export async function importOptional(name: string): Promise<unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (typeof require === 'function') return require(name) as unknown;
  return import(/* webpackIgnore: true */ /* @vite-ignore */ name) as Promise<unknown>;
}

/** Whether `error` says that the package `name` itself (not something it needs) is not installed. */
export function isNotInstalled(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    // "Cannot find module 'openai'", "… 'gpt-tokenizer/encoding/o200k_base'", "Cannot find package 'openai' …"
    (message.includes(`'${name}'`) || message.includes(`'${name}/`))
  );
}
