/** An in-process transport: a `fetch` answering every chat completion with a canned response, at once or when released. */

const REPLY = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'gpt-4o',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: 'Hello from the in-process transport.' },
      finish_reason: 'stop',
    },
  ],
  usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
});

function reply(): Response {
  return new Response(REPLY, { status: 200, headers: { 'content-type': 'application/json' } });
}

/** Answers at once (on the next microtask). */
export const cannedFetch: typeof fetch = () => Promise.resolve(reply());

/** Holds every request until `release()`; `started` counts the requests it holds. */
export function gatedFetch(): { fetch: typeof fetch; started: () => number; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  return {
    fetch: async () => {
      started++;
      await gate;
      return reply();
    },
    started: () => started,
    release,
  };
}

/**
 * Answers after a 1 ms timer: the process idles between calls, as it does over a network, while
 * nothing but the libraries' own work is left to measure (bench/cold.ts).
 */
export const idleFetch: typeof fetch = () => new Promise((resolve) => setTimeout(() => resolve(reply()), 1));
