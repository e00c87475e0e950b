// `agent-js`: scenarios/agent in JavaScript: an agent loop. Each iteration is one task: the model
// is called with tools, step by step; an answer that calls tools (`finishReason: "tool_calls"`)
// is followed by the tools' run (`tool_latency`, slept on the run's clock), an optional fan-out
// of `fanout` research sub-requests sent at once and joined (`llm.sendAll`), and the next step
// with the call and its result in the conversation, until the model answers in words or
// `max_steps` model calls. Same parameters, phase, tags, requests and metrics as the Rust original.

import { clock, info, llm, load, metrics, params, phase, prompt, scenario } from "runner-sdk";

const SYSTEM =
  "You are a research agent. Use the tools to gather what you need, one step at a time, then answer the user in a short paragraph.";
const RESEARCH = "You are a research sub-agent. Say in a few sentences what you know about the query you are given.";

// The functions offered to the model; a server that calls tools by itself (the simulated one) calls the first.
const TOOLS = [
  {
    type: "function",
    function: {
      name: "search",
      description: "Searches the web and returns the top results.",
      parameters: { type: "object", properties: { query: { type: "string" } }, required: ["query"] },
    },
  },
  {
    type: "function",
    function: {
      name: "fetch",
      description: "Reads one web page.",
      parameters: { type: "object", properties: { url: { type: "string" } }, required: ["url"] },
    },
  },
];

/**
 * The extra body of a model call: the tools and the conversation (a tool call and its result
 * cannot be said in the SDK's messages), then the operator's `extra_body` fields, which win. An
 * `extra_body` that is not a JSON object goes as it is, for the host to refuse with its message.
 */
function body(messages, extra) {
  if (extra.trim() === "") return JSON.stringify({ tools: TOOLS, messages });
  let theirs;
  try {
    theirs = JSON.parse(extra);
  } catch {
    return extra;
  }
  if (theirs === null || typeof theirs !== "object" || Array.isArray(theirs)) return extra;
  return JSON.stringify({ tools: TOOLS, messages, ...theirs });
}

/** The parameters a task reads. */
function settings() {
  return {
    stream: params.flag("stream"),
    extra: params.getOr("extra_body", ""),
    maxSteps: params.int("max_steps"),
    maxTokens: params.int("max_tokens"),
    promptTokens: params.int("prompt_tokens"),
    toolLatency: params.duration("tool_latency"),
    toolResultTokens: params.int("tool_result_tokens"),
    fanout: params.int("fanout"),
    fanoutTokens: params.int("fanout_tokens"),
  };
}

/** `fanout` research sub-requests about `call`, sent at once: the answers that came back. */
function research(s, call, step) {
  if (s.fanout === 0) return [];
  const requests = [];
  for (let i = 1; i <= s.fanout; i++) {
    requests.push(
      llm
        .chat(`Angle ${i} of ${s.fanout} on ${call.name}: ${call.arguments}`)
        .system(RESEARCH)
        .maxTokens(s.fanoutTokens)
        .stream(s.stream)
        .extra(s.extra)
        .tag("step", step)
        .tag("call", "research"),
    );
  }
  const notes = [];
  for (const answer of llm.sendAll(requests)) {
    const ok = !(answer instanceof llm.LlmError);
    metrics.check("research answered", ok);
    if (ok) notes.push(answer.text);
  }
  return notes;
}

/**
 * Runs the tools `done` asked for and returns their results, in order: the calls of one answer
 * run side by side (one `tool_latency`), then the research sub-requests add their answers to the
 * first result.
 */
function runTools(s, done, step, seed) {
  clock.sleep(s.toolLatency);
  metrics.count("tools_run", done.toolCalls.length);
  const results = done.toolCalls.map((_, i) => prompt.synthetic(s.toolResultTokens, seed + BigInt(step * 1000 + i)));
  const notes = research(s, done.toolCalls[0], step);
  if (notes.length > 0) results[0] += `\nResearch notes: ${notes.join(" | ")}`;
  return results;
}

export const guest = scenario({
  describe: () =>
    info(
      "agent-js",
      "0.1.0",
      "An agent loop: each iteration is a task in which the model is called with tools, each tool call is run " +
        "(`tool_latency`) and answered, optionally with `fanout` research sub-requests sent at once and joined, " +
        "until the model answers in words or `max_steps` model calls. Measures time to the first tool call, " +
        "steps per task and task latency; every request is tagged with its step.",
    )
      .typedParam("model", "text", "", "Model name sent to the server; empty leaves the field out.")
      .param("stream", "true", "Stream the answers (server-sent events); needed for TTFT and ITL.")
      .typedParam("extra_body", "text", "", "JSON object merged into every request body.")
      .param("tasks", "10", "Tasks per VU, one after another.")
      .param("vus", "1", "Concurrent VUs, each running its own tasks.")
      .param("max_steps", "8", "Model calls per task at most; a task still calling tools then stops.")
      .param("max_tokens", "64", "Tokens each agent model call may generate.")
      .param("prompt_tokens", "32", "Length of the user's request (synthetic), in tokens.")
      .param("tool_latency", "200ms", "How long each tool takes to run (the calls of one answer run side by side).")
      .param("tool_result_tokens", "32", "Length of each tool's result (synthetic), in tokens.")
      .param("fanout", "0", "Research sub-requests sent at once after each tool step (at most 256).")
      .param("fanout_tokens", "32", "Tokens each research sub-request may generate."),

  drive() {
    if (params.int("max_steps") === 0) throw "max_steps must be at least 1: a task needs one model call";
    load.run(phase.iterations("agent", params.int("vus"), params.int("tasks")));
  },

  iteration(ctx) {
    const s = settings();
    const seed = ctx.seed(params.seed());
    const began = clock.nowMs();
    const messages = [
      { role: "system", content: SYSTEM },
      { role: "user", content: prompt.synthetic(s.promptTokens, seed) },
    ];
    let firstToolCall;
    let steps = 0;
    let answered;
    for (;;) {
      steps += 1;
      // The `messages` of the extra body replace the builder's (the host merges it last).
      const done = llm
        .chat("")
        .maxTokens(s.maxTokens)
        .stream(s.stream)
        .extra(body(messages, s.extra))
        .tag("step", steps)
        .tag("call", "agent")
        .send();
      if (done.toolCalls.length === 0) {
        // Words: the task is done, unless the server said it called a tool and sent none.
        answered = done.finishReason !== "tool_calls";
        break;
      }
      firstToolCall ??= clock.nowMs() - began;
      if (steps === s.maxSteps) {
        answered = false;
        break;
      }
      messages.push({
        role: "assistant",
        content: done.text === "" ? null : done.text,
        tool_calls: done.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } })),
      });
      const results = runTools(s, done, steps, seed);
      done.toolCalls.forEach((c, i) => messages.push({ role: "tool", tool_call_id: c.id, content: results[i] }));
    }
    metrics.trend("task_latency_ms", clock.nowMs() - began);
    metrics.trend("steps_per_task", steps);
    if (firstToolCall !== undefined) metrics.trend("time_to_first_tool_call_ms", firstToolCall);
    metrics.check("task answered in words", answered);
  },
});
