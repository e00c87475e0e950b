"""The completion's answer-shape fields and the helpers that read them (`llm.reasoned`,
`reasoning_ms`, `tool_call`, `cached_share`), and `llm.send_all`'s outcomes, against the stub
bindings (see test.sh)."""

import unittest
from unittest import mock

from componentize_py_types import Err, Ok
from wit_world.imports import llm as raw_llm

from runner_sdk import llm


def completion(**fields):
    base = dict(
        status=200, text="", finish_reason=None, ttft_ms=None, ttfo_ms=None, ttst_ms=None, e2e_ms=0.0,
        tpot_ms=None, chunk_gaps_ms=[], chunks=0, input_tokens=None, output_tokens=0,
        output_tokens_source=raw_llm.TokenSource.COUNTED, usage_output_tokens=None, counted_output_tokens=0,
        reasoning_chunks=0, reasoning_tokens=None, cached_tokens=None, tool_calls=[],
    )
    base.update(fields)
    return raw_llm.Completion(**base)


class AnswerShapes(unittest.TestCase):
    def test_a_plain_answer(self):
        c = completion(ttft_ms=40.0, ttfo_ms=40.0)
        self.assertFalse(llm.reasoned(c))
        self.assertEqual((llm.reasoning_ms(c), llm.cached_share(c), llm.tool_call(c, "f")), (0.0, None, None))

    def test_reasoning_tool_calls_and_cached_tokens(self):
        call = llm.ToolCall(id="call_1", name="get_weather", arguments='{"city":"Paris"}')
        c = completion(ttft_ms=40.0, ttfo_ms=90.0, reasoning_chunks=5, reasoning_tokens=5, input_tokens=8,
                       cached_tokens=2, tool_calls=[call])
        self.assertTrue(llm.reasoned(c))
        self.assertEqual((llm.reasoning_ms(c), llm.cached_share(c)), (50.0, 0.25))
        self.assertIs(llm.tool_call(c, "get_weather"), call)

    def test_reasoning_seen_only_in_usage(self):
        c = completion(reasoning_tokens=3)
        self.assertTrue(llm.reasoned(c))
        self.assertIsNone(llm.reasoning_ms(c))


class SendAll(unittest.TestCase):
    def test_every_record_goes_at_once_and_each_outcome_comes_back_in_order(self):
        sent = []

        def call_many(reqs):
            sent.append(reqs)
            failed = raw_llm.Error(class_=raw_llm.ErrorClass.TIMEOUT, status=None, message="no answer within 1s")
            return [Err(failed) if r.prompt == "fail" else Ok(completion(text=r.prompt)) for r in reqs]

        requests = [llm.completion(p).model("m").tag("call", "research") for p in ("a", "fail", "c")]
        with mock.patch.object(llm._raw, "call_many", call_many):
            out = llm.send_all(requests)
        self.assertEqual([(r.prompt, r.tags) for r in sent[0]], [(p, [("call", "research")]) for p in ("a", "fail", "c")])
        self.assertEqual((out[0].text, out[2].text), ("a", "c"))
        self.assertIsInstance(out[1], llm.LlmError, "a failure is returned, not raised")
        self.assertEqual((out[1].cls, out[1].status, str(out[1])),
                         (raw_llm.ErrorClass.TIMEOUT, None, "llm timeout: no answer within 1s"))


if __name__ == "__main__":
    unittest.main()
