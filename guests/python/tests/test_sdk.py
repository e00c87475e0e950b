"""Unit tests of the SDK's pure parts, against the stub bindings (see test.sh). The rules shared
with the other SDKs are checked against contract/cases.json in test_contract.py."""

import unittest

from componentize_py_types import Err
from wit_world.imports import http as raw_http
from wit_world.imports import llm as raw_llm
from wit_world.imports import load as raw_load

from runner_sdk import Context, Info, ParamKind, Phase, Scenario, export, http, llm, prompt


class Prompts(unittest.TestCase):
    def test_mix_spreads_nearby_seeds(self):
        self.assertGreater(bin(prompt.mix(1) ^ prompt.mix(2)).count("1"), 16)
        self.assertLess(prompt.mix(2**64 - 1), 2**64, "stays a u64")

    def test_the_suffix_follows_the_shared_prefix_after_one_space(self):
        self.assertEqual(prompt._join("a b", "c"), "a b c")
        self.assertEqual(prompt._join("a b", ""), "a b")
        self.assertEqual(prompt._join("", "c"), "c")
        self.assertNotEqual(prompt.prefix_seed(1, 0), prompt.prefix_seed(1, 1))


class Builders(unittest.TestCase):
    def test_rate_modifiers_apply_to_open_loop_only(self):
        p = Phase.rate("r", 200, 5).max_vus(7).poisson().as_raw()
        self.assertIsInstance(p.executor, raw_load.Executor_ConstantArrivalRate)
        e = p.executor.value
        self.assertEqual((e.rate, e.duration_ms, e.max_vus, e.arrival), (200.0, 5000, 7, raw_load.Arrival_Poisson()))
        b = Phase.burst("b", 5).max_vus(9).poisson().as_raw()
        self.assertEqual(b.executor, raw_load.Executor_Burst(raw_load.Burst(5)))

    def test_burstiness_and_scheduled(self):
        e = Phase.ramp_rate("g", 1, [(1, 5)]).burstiness(0.5).as_raw().executor.value
        self.assertEqual(e.arrival, raw_load.Arrival_Gamma(0.5))
        s = Phase.scheduled("t", [0, 100, 250], speedup=2).max_vus(3).as_raw().executor
        self.assertIsInstance(s, raw_load.Executor_Scheduled)
        self.assertEqual((s.value.offsets_ms, s.value.max_vus), ([0.0, 50.0, 125.0], 3))

    def test_session_turns_carry_history_header_and_number(self):
        s = llm.Session("c1").system("sys")
        s.record("q1", "a1")
        raw = s.ask("q2").as_raw(model="m")
        self.assertEqual([(m.role, m.content) for m in raw.messages], [("system", "sys"), ("user", "q1"), ("assistant", "a1"), ("user", "q2")])
        self.assertEqual(raw.headers, [("x-session-id", "c1")])
        self.assertEqual(raw.tags, [("turn", "1")])

    def test_closed_loop_builders(self):
        e = Phase.iterations("i", 2, 10).max_duration(60).as_raw().executor.value
        self.assertEqual((e.vus, e.iterations_per_vu, e.duration_ms), (2, 10, 60_000))
        r = Phase.ramp("r", 1, [(10, 32), (0.5, 0)]).as_raw().executor.value
        self.assertEqual((r.start_vus, [(s.duration_ms, s.target) for s in r.stages]), (1, [(10_000, 32), (500, 0)]))
        c = Phase.constant_vus("c", 4, 1.5).as_raw().executor.value
        self.assertEqual((c.vus, c.duration_ms, c.iterations_per_vu), (4, 1500, None))

    def test_tags_and_graceful_stop(self):
        p = Phase.pause("gap", 5).tag("concurrency", 20).tag("kind", "short").graceful_stop(2).as_raw()
        self.assertEqual(p.executor, raw_load.Executor_Pause(5000))
        self.assertEqual(p.tags, [("concurrency", "20"), ("kind", "short")])
        self.assertEqual(p.graceful_stop_ms, 2000)

    def test_chat_defaults_and_system_first(self):
        r = llm.chat("hi").system("be brief").max_tokens(64).extra("  ").tag("kind", "short").timeout(2)
        raw = r.as_raw(model="m")
        self.assertEqual((raw.api, raw.stream, raw.model), (raw_llm.Api.CHAT, True, "m"))
        self.assertEqual([(m.role, m.content) for m in raw.messages], [("system", "be brief"), ("user", "hi")])
        self.assertEqual((raw.max_tokens, raw.extra_body, raw.timeout_ms), (64, None, 2000))
        self.assertEqual(raw.tags, [("kind", "short")])

    def test_completion_carries_prompt_and_extra(self):
        raw = llm.completion("once upon").stream(False).extra('{"ignore_eos":true}').as_raw(model="m")
        self.assertEqual((raw.api, raw.prompt, raw.stream, raw.messages), (raw_llm.Api.COMPLETIONS, "once upon", False, []))

    def test_info_converts_with_params_in_order(self):
        info = Info("n", "1.0.0", "d").author("me").param("a", 1, "h").llm_params().threshold("errors:rate==0")
        raw = info.as_raw()
        self.assertEqual([p.name for p in raw.params], ["a", "model", "stream", "ignore_eos", "extra_body"])
        self.assertEqual((raw.params[0].default, raw.params[2].default), ("1", "true"))
        self.assertEqual([p.kind for p in raw.params], [ParamKind.INTEGER, ParamKind.TEXT, ParamKind.BOOLEAN, ParamKind.BOOLEAN, ParamKind.TEXT])
        self.assertEqual((raw.author, raw.thresholds), ("me", ["errors:rate==0"]))
        self.assertEqual(Info("n", "1", "d").param("n", "42", "h", ParamKind.TEXT).as_raw().params[0].kind, ParamKind.TEXT)

    def test_prompts_from_the_host_are_referenced_not_copied(self):
        raw = llm.chat_from_dataset("sharegpt", 7).system("s").as_raw(model="m")
        self.assertEqual(raw.prompt_source, raw_llm.PromptSource_Dataset(raw_llm.DatasetRow("sharegpt", 7)))
        self.assertEqual(len(raw.messages), 1, "only the system message travels")
        raw = llm.completion("").synthetic_prompt(64, 3).as_raw(model="m")
        self.assertEqual(raw.prompt_source, raw_llm.PromptSource_Synthetic(raw_llm.SyntheticPrompt(64, 3)))
        self.assertIsInstance(llm.chat("x").as_raw(model="m").prompt_source, raw_llm.PromptSource_Inline)

    def test_headers_limit_field_and_images_travel_in_the_record(self):
        r = (
            llm.chat("what is it?")
            .image("https://example.com/a.png")
            .image("data:image/png;base64,iVBORw==")
            .header("x-session-id", "s-1")
            .header("X-Other", 2)
            .max_tokens(9)
            .max_completion_tokens(32)
        )
        raw = r.as_raw(model="m")
        self.assertEqual(raw.headers, [("x-session-id", "s-1"), ("X-Other", "2")])
        self.assertEqual((raw.max_tokens, raw.max_tokens_field), (32, raw_llm.MaxTokensField.MAX_COMPLETION_TOKENS))
        self.assertEqual(raw.messages[0].images, ["https://example.com/a.png", "data:image/png;base64,iVBORw=="])
        plain = llm.chat("x").max_completion_tokens(4).max_tokens(5).as_raw(model="m")
        self.assertEqual(plain.max_tokens_field, raw_llm.MaxTokensField.MAX_TOKENS, "the last one wins")
        self.assertEqual((plain.headers, plain.messages[0].images), ([], []), "none by default")

    def test_an_image_goes_on_the_last_turn_or_starts_one(self):
        multi = llm.chat("first").message("assistant", "a").message("user", "second").image("u").as_raw(model="m")
        self.assertEqual([len(m.images) for m in multi.messages], [0, 0, 1])
        synthetic = llm.chat_synthetic(64, 1).system("s").image("u").as_raw(model="m")
        turns = [(m.role, m.content, len(m.images)) for m in synthetic.messages]
        self.assertEqual(turns, [("system", "s", 0), ("user", "", 1)], "an empty user turn carries it to the host")

    def test_embeddings_inline_and_host_made_batches(self):
        r = llm.embed(["a", "b"]).extra('{"dimensions":8}').header("x-session-id", "s").tag("api", "embeddings").timeout(1.5)
        raw = r.as_raw(model="e")
        self.assertEqual((raw.model, raw.inputs, raw.batch, raw.timeout_ms), ("e", ["a", "b"], 1, 1500))
        self.assertIsInstance(raw.prompt_source, raw_llm.PromptSource_Inline)
        self.assertEqual((raw.extra_body, raw.headers, raw.tags), ('{"dimensions":8}', [("x-session-id", "s")], [("api", "embeddings")]))
        self.assertEqual(llm.embed("one").as_raw(model="e").inputs, ["one"], "one string is a list of one")
        rows = llm.embed_from_dataset("docs", 10).batch(32).as_raw(model="e")
        self.assertEqual((rows.prompt_source, rows.batch, rows.inputs), (raw_llm.PromptSource_Dataset(raw_llm.DatasetRow("docs", 10)), 32, []))
        synthetic = llm.embed_synthetic(128, 7).as_raw(model="e")
        self.assertEqual(synthetic.prompt_source, raw_llm.PromptSource_Synthetic(raw_llm.SyntheticPrompt(128, 7)))

    def test_http_builders(self):
        r = http.post("/v1/echo", "abc").header("content-type", "text/plain").timeout(1.5).tag("route", "echo")
        raw = r.as_raw()
        self.assertEqual((raw.method, raw.url, raw.body, raw.timeout_ms), ("POST", "/v1/echo", b"abc", 1500))
        self.assertEqual((raw.headers, raw.tags), ([("content-type", "text/plain")], [("route", "echo")]))
        self.assertEqual(raw.response_content, raw_http.ResponseContent.FULL)
        self.assertEqual(http.get("/").status_only().as_raw().response_content, raw_http.ResponseContent.STATUS_ONLY)


class ContextAndExport(unittest.TestCase):
    def test_tags_are_found_and_parsed(self):
        c = Context("p", {"max_tokens": "256", "kind": "long"}, 3, 7)
        self.assertEqual((c.tag("kind"), c.tag("absent"), c.tag_parse("max_tokens")), ("long", None, 256))
        with self.assertRaises(ValueError) as e:
            Context("p", {"max_tokens": "lots"}, 0, 0).tag_parse("max_tokens")
        self.assertIn("max_tokens", str(e.exception))
        with self.assertRaises(ValueError) as e:
            c.tag_parse("nope")
        self.assertIn("no tag `nope`", str(e.exception))

    def test_iteration_seeds_match_the_rust_derivation(self):
        c = Context("p", {}, 3, 7)
        self.assertEqual(c.seed(1), prompt.mix(1 ^ (3 << 40) ^ 7))
        self.assertNotEqual(c.seed(1), Context("p", {}, 3, 8).seed(1))
        self.assertNotEqual(c.seed(1), Context("p", {}, 4, 7).seed(1))

    def test_exceptions_become_wit_errors(self):
        class Failing(Scenario):
            def describe(self):
                return Info("f", "0.1.0", "fails")

            def drive(self):
                raise ValueError("no phases today")

            def iteration(self, ctx):
                raise RuntimeError(f"vu {ctx.vu} of {ctx.phase} with {ctx.tags['k']}")

        from wit_world.exports import guest as raw_guest

        guest = export(Failing)()
        self.assertEqual(guest.describe().name, "f")
        with self.assertRaises(Err) as e:
            guest.drive()
        self.assertEqual(e.exception.value, "no phases today")
        with self.assertRaises(Err) as e:
            guest.iteration(raw_guest.IterationContext("ph", [("k", "v")], 2, 0))
        self.assertEqual(e.exception.value, "vu 2 of ph with v")


if __name__ == "__main__":
    unittest.main()
