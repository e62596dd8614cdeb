import type { LLMRequest } from '../llm.js';
import { resolveOutput, type StructuredOutput } from '../schema/output.js';
import { resolveParameters } from '../schema/parameters.js';
import type { JsonSchema, Provider, ProviderOptions, ToolChoice, ToolSpec } from '../types.js';

/** A tool made ready to send: its JSON Schema, and whether OpenAI can bind it strictly. */
export interface PreparedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly parameters: JsonSchema;
  readonly strict: boolean;
}

/**
 * A request as a provider translates it: the conversation and options, plus what the call
 * resolves to for this provider — its tools (the provider's defaults and the call's), the
 * tool choice, the structured output asked for, and the provider-only body fields.
 */
export interface ProviderRequest extends LLMRequest {
  readonly tools: readonly PreparedTool[];
  readonly toolChoice: ToolChoice | undefined;
  readonly output: StructuredOutput | undefined;
  /** `providerOptions[provider]` of the constructor, then of the call; `undefined` when neither sets any. */
  readonly providerFields: Readonly<Record<string, unknown>> | undefined;
}

const NO_TOOLS: readonly PreparedTool[] = Object.freeze([]);

/** What a provider LLM brings to every call: default tools and provider options. */
export interface ContentDefaults {
  readonly tools?: readonly ToolSpec[];
  readonly toolChoice?: ToolChoice;
  readonly providerOptions?: ProviderOptions;
}

/** The call's tools over the provider's default tools: the call's tool wins by name. */
export function mergeTools(
  defaults: readonly ToolSpec[] | undefined,
  call: readonly ToolSpec[] | undefined,
): ToolSpec[] {
  if (!defaults?.length) return [...(call ?? [])];
  if (!call?.length) return [...defaults];
  const names = new Set(call.map((t) => t.name));
  return [...defaults.filter((t) => !names.has(t.name)), ...call];
}

/**
 * Resolves the request for `provider`: tools' parameters and the `schema`/`choices` output to
 * JSON Schema (by the schema module, once per schema object), and the provider's own fields.
 * A `toolChoice` naming no tool is a `TypeError`.
 */
export function prepareRequest(
  request: LLMRequest,
  provider: Provider,
  defaults: ContentDefaults,
): ProviderRequest | Promise<ProviderRequest> {
  const { options } = request;
  const specs = mergeTools(defaults.tools, options.tools);
  const fromDefaults = defaults.providerOptions?.[provider];
  const fromCall = options.providerOptions?.[provider];
  const providerFields =
    fromDefaults === undefined && fromCall === undefined ? undefined : { ...fromDefaults, ...fromCall };
  if (specs.length === 0 && options.schema === undefined && options.choices === undefined) {
    // Plain text: nothing to resolve, and no await, so the request starts in the caller's tick.
    return {
      messages: request.messages,
      options,
      tools: NO_TOOLS,
      toolChoice: undefined,
      output: undefined,
      providerFields,
    };
  }
  return resolveContent(request, specs, defaults, providerFields);
}

async function resolveContent(
  request: LLMRequest,
  specs: readonly ToolSpec[],
  defaults: ContentDefaults,
  providerFields: ProviderRequest['providerFields'],
): Promise<ProviderRequest> {
  const { options } = request;
  const tools = await Promise.all(
    specs.map(async (spec, i): Promise<PreparedTool> => {
      const { jsonSchema, strict } = await resolveParameters(spec.parameters, `tools[${i}].parameters`);
      return { name: spec.name, description: spec.description, parameters: jsonSchema, strict };
    }),
  );
  const toolChoice = options.toolChoice ?? defaults.toolChoice;
  if (typeof toolChoice === 'object' && !specs.some((t) => t.name === toolChoice.name)) {
    throw new TypeError(`\`toolChoice\` names the tool "${toolChoice.name}", which is not among the tools`);
  }
  const output = await resolveOutput(options);
  return {
    ...request,
    tools,
    toolChoice: specs.length === 0 ? undefined : toolChoice,
    output,
    providerFields,
  };
}
