/**
 * Tool calls, as a vLLM server started with `--enable-auto-tool-choice --tool-call-parser hermes` streams them.
 *
 * When the simulator calls tools (deterministic, so tests can ask for it):
 * - `tool_choice: "none"`, no `tools`, or the last message is a `tool` result: never (after results it answers);
 * - `tool_choice: {type: "function", function: {name}}`: that tool (400 when it is not among `tools`);
 * - `tool_choice: "required"`: the tools named in the last user message, else the first tool;
 * - `tool_choice: "auto"` (the default with tools): the tools whose name is in the last user message
 *   (`get_weather` or `get weather`), in the order of `tools`; none named → an ordinary text answer.
 *
 * Arguments follow each tool's `parameters` schema (every property, required ones first): an `enum` gives its
 * first value, a string the first topic word of the message that is not part of a tool's name (or the
 * property name), an integer or number a
 * seeded value in 1–100, a boolean `true`; they are written as Python's `json.dumps` writes them
 * (`{"city": "paris"}`), which is what vLLM's hermes parser forwards. The call's text is tokenized like any
 * answer, so its arguments stream in fragments, one or more per delta.
 */
import { ApiErrors } from './api-errors.js';
import { Rng } from './random.js';
import type { GeneratedToken, TokenSource } from './text-generator.js';
import { tokenize } from './tokenizer.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A tool of the request, as far as the simulator needs it. */
export interface SimTool {
  name: string;
  parameters: Json | undefined;
}

/** A call the simulated model makes. */
export interface SimToolCall {
  name: string;
  /** The arguments' JSON text. */
  arguments: string;
}

/** Reads `tools` and `tool_choice` (400 for shapes vLLM refuses); undefined when no tools are offered. */
export function readTools(body: Json): { tools: SimTool[]; choice: unknown } | undefined {
  const raw = body.tools;
  if (raw === undefined || raw === null) {
    if (isObject(body.tool_choice))
      throw ApiErrors.badRequest('When using `tool_choice`, `tools` must be set.', 'tool_choice');
    return undefined;
  }
  if (!Array.isArray(raw)) throw ApiErrors.validation('tools must be an array', 'tools');
  const tools = raw.map((t, i) => {
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string')
      throw ApiErrors.validation(`tools[${i}] must be {type: "function", function: {name, …}}`, 'tools');
    const parameters = t.function.parameters;
    return { name: t.function.name, parameters: isObject(parameters) ? parameters : undefined };
  });
  return tools.length > 0 ? { tools, choice: body.tool_choice ?? 'auto' } : undefined;
}

/** The calls the model makes for this request (see the module note); [] for a text answer. */
export function chooseToolCalls(
  offered: { tools: SimTool[]; choice: unknown },
  lastUser: string,
  topic: readonly string[],
  seed: number,
): SimToolCall[] {
  const { tools, choice } = offered;
  const text = lastUser.toLowerCase();
  const named = tools.filter(
    (t) => text.includes(t.name.toLowerCase()) || text.includes(t.name.toLowerCase().replace(/_/g, ' ')),
  );
  let chosen: SimTool[];
  if (choice === 'none') chosen = [];
  else if (choice === 'auto') chosen = named;
  else if (choice === 'required') chosen = named.length > 0 ? named : tools.slice(0, 1);
  else if (isObject(choice) && choice.type === 'function' && isObject(choice.function)) {
    const name = choice.function.name;
    const tool = tools.find((t) => t.name === name);
    if (!tool) throw ApiErrors.badRequest(`Tool '${String(name)}' has not been passed in \`tools\`.`, 'tool_choice');
    chosen = [tool];
  } else
    throw ApiErrors.validation('tool_choice must be "none", "auto", "required" or a named function', 'tool_choice');
  const rng = new Rng(seed ^ 0x7001);
  // Words of the tools' own names ("weather" in get_weather) are not what the user asks about.
  const subject = topic.filter((w) => !tools.some((t) => t.name.toLowerCase().includes(w)));
  return chosen.map((tool) => ({ name: tool.name, arguments: argumentsFor(tool, subject, rng) }));
}

function argumentsFor(tool: SimTool, topic: readonly string[], rng: Rng): string {
  const properties = isObject(tool.parameters?.properties) ? tool.parameters.properties : {};
  const required = Array.isArray(tool.parameters?.required) ? (tool.parameters.required as unknown[]) : [];
  const names = Object.keys(properties).sort((a, b) => Number(required.includes(b)) - Number(required.includes(a)));
  const values: Json = {};
  for (const name of names) {
    const schema = isObject(properties[name]) ? properties[name] : {};
    if (Array.isArray(schema.enum) && schema.enum.length > 0) values[name] = schema.enum[0];
    else if (schema.type === 'integer' || schema.type === 'number') values[name] = 1 + Math.floor(rng.next() * 100);
    else if (schema.type === 'boolean') values[name] = true;
    else values[name] = topic[0] ?? name;
  }
  return pythonJson(values);
}

/** `json.dumps` spacing: `", "` between items and `": "` after keys. */
function pythonJson(values: Json): string {
  return `{${Object.entries(values)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`;
}

/** The answer as tokens: each call's arguments text, its first token carrying the call's name. */
export function createToolCallAnswer(calls: readonly SimToolCall[]): TokenSource {
  const tokens: GeneratedToken[] = calls.flatMap((call, index) =>
    tokenize(call.arguments).map((text, i) => ({
      text,
      reasoning: false,
      tool: i === 0 ? { index, name: call.name } : { index },
    })),
  );
  let at = 0;
  return { next: () => tokens[at++] };
}
