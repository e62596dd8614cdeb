import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The examples run as a user runs them (`npm run example:…`): tsx, the package imported by its name.
const run = promisify(execFile);
const tsx = join(__dirname, '..', 'node_modules', '.bin', 'tsx');

async function example(file: string): Promise<string> {
  const { stdout } = await run(tsx, [join('examples', file)], {
    cwd: join(__dirname, '..'),
    timeout: 60_000,
    env: { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
  });
  return stdout;
}

describe('examples', () => {
  it('tools.ts: the tool loop survives a 529 on the primary by falling back to Anthropic', async () => {
    const out = await example('tools.ts');
    expect(out).toMatch(/step 1: (openai:gpt-4o~status=529 OverloadedError.* → ){2}anthropic:.* ok/);
    expect(out).toContain('tool call toolu_oslo: weather({"city":"Oslo"})');
    expect(out).toContain('"type":"tool_result","tool_use_id":"toolu_rome"');
    expect(out).toMatch(/answer \(anthropic:.*\): Oslo is 3 °C and cloudy; Rome is 18 °C and clear/);
  }, 90_000);

  it('structured-output.ts: schema, choices and a streamed object survive a 529 by falling back to OpenAI', async () => {
    const out = await example('structured-output.ts');
    expect(out).toContain('object: {"city":"Oslo","celsius":3,"sky":"cloudy","advice":"Take a coat."}');
    expect(out).toContain('"strict":true');
    expect(out).toContain('choice: coat');
    expect(out).toContain('finalReply().object.sky: cloudy');
    expect(out).toContain('StructuredOutputError: The answer does not match the schema "Forecast": sky:');
    expect(out.match(/→ openai:gpt-4o-mini~reply=\w+ ok/g)).toHaveLength(3);
  }, 90_000);
});
