"""The SDK against contract/cases.json, the cases the Rust and JS SDKs are held to as well. A
case's `valid` holds here unless its `python` field says otherwise (a known difference)."""

import json
import unittest
from pathlib import Path

from runner_sdk import Context, ParamKind, http, llm, prompt
from runner_sdk.params import ParamError, parse_duration, parse_list, parse_value
from runner_sdk.scenario import kind_of_default

CASES = json.loads((Path(__file__).resolve().parents[3] / "contract" / "cases.json").read_text("utf-8"))

# The SDK's reader for each kind, as a scenario reads a `--param` of that kind.
READERS = {
    "integer": lambda name, value: parse_value(name, value, int),
    "number": lambda name, value: parse_value(name, value, float),
    "boolean": lambda name, value: parse_value(name, value, bool),
    "integer-list": lambda name, value: parse_list(name, value, int),
}


def enum_member(enum, wit_name: str):
    """The member of a generated enum whose WIT name is `wit_name` (`http-status`)."""
    return enum[wit_name.upper().replace("-", "_")]


class Contract(unittest.TestCase):
    def test_durations(self):
        for case in CASES["durations"]["valid"]:
            self.assertAlmostEqual(parse_duration(case["text"]) * 1000, case["ms"], places=9, msg=case["text"])
        for case in CASES["durations"]["invalid"]:
            with self.assertRaises(ValueError, msg=case["text"]) as e:
                parse_duration(case["text"])
            self.assertIn(case["error"], str(e.exception), case["text"])

    def test_parameter_values_by_kind(self):
        for kind, cases in CASES["values"].items():
            if kind == "about":
                continue
            read = READERS[kind]
            for case in cases:
                name, value = case.get("name", "p"), case["value"]
                what = f"{kind} {value!r}"
                if case.get("python", case["valid"]):
                    parsed = read(name, value)
                    if "parsed" in case:
                        self.assertEqual(parsed, case["parsed"], what)
                    continue
                with self.assertRaises(ParamError, msg=what) as e:
                    read(name, value)
                message = str(e.exception)
                self.assertTrue(message.startswith(f"parameter `{name}`: invalid value {json.dumps(value)}"), message)
                self.assertIn(case.get("error", ""), message, what)

    def test_lists_of_text(self):
        for case in CASES["text_lists"]["valid"]:
            self.assertEqual(parse_list("l", case["value"], str), case["items"], case["value"])
        for case in CASES["text_lists"]["invalid"]:
            with self.assertRaises(ParamError) as e:
                parse_list("l", case["value"], str)
            self.assertIn(case["error"], str(e.exception))

    def test_kinds_follow_defaults(self):
        for case in CASES["kind_of_default"]["cases"]:
            self.assertEqual(kind_of_default(case["default"]), enum_member(ParamKind, case["kind"]), case["default"])

    def test_ignore_eos_goes_first_in_the_extra_body(self):
        for case in CASES["ignore_eos"]["cases"]:
            raw = llm.chat("x").max_tokens(8).extra(case["extra"] or "").ignore_eos(case["ignore"]).as_raw("m")
            self.assertEqual(raw.extra_body, case["sent"], case)
        self.assertIsNone(llm.chat("x").ignore_eos().as_raw("m").extra_body, "no limit, no ignore_eos")

    def test_model_falls_back_to_a_non_blank_param(self):
        for case in CASES["model"]["cases"]:
            self.assertEqual(llm.model_or_param(case["set"], lambda: case["param"]), case["sent"], case)

    def test_error_class_names_are_the_wit_names(self):
        self.assertEqual([llm.class_name(c) for c in llm.ErrorClass], CASES["error_classes"]["llm"])
        self.assertEqual([http.class_name(c) for c in http.ErrorClass], CASES["error_classes"]["http"])

    def test_errors_read_as_the_other_sdks_print_them(self):
        for case in CASES["error_messages"]["cases"]:
            if case["interface"] == "llm":
                e = llm.LlmError(enum_member(llm.ErrorClass, case["class"]), case["status"], case["message"])
            else:
                e = http.HttpError(enum_member(http.ErrorClass, case["class"]), case["message"])
            self.assertEqual(str(e), case["text"])

    def test_seeds_are_the_rust_sdks_bit_for_bit(self):
        for case in CASES["seeds"]["mix"]:
            self.assertEqual(prompt.mix(int(case["seed"])), int(case["mixed"]), case)
        for case in CASES["seeds"]["iteration"]:
            ctx = Context("p", {}, case["vu"], case["iteration"])
            self.assertEqual(ctx.seed(int(case["run_seed"])), int(case["seed"]), case)
        for case in CASES["seeds"]["prefix"]:
            self.assertEqual(prompt.prefix_seed(int(case["run_seed"]), case["group"]), int(case["seed"]), case)
        for case in CASES["seeds"]["prefix_group"]:
            self.assertEqual(prompt.prefix_group(case["n"], case["groups"]), case["group"], case)


if __name__ == "__main__":
    unittest.main()


class Lengths(unittest.TestCase):
    def test_draws_rows_and_invalid_specs_follow_the_contract(self):
        from runner_sdk.lengths import Lengths as L

        for c in CASES["lengths"]["draws"]:
            spec = L.parse(c["spec"])
            for s, want in zip(c["seeds"], c["lengths"]):
                self.assertEqual(spec.draw(int(s)), want, f"{c['spec']} seed {s}")
        for c in CASES["lengths"]["rows"]:
            self.assertEqual(L.row(int(c["seed"]), c["rows"]), c["row"], c["seed"])
        for bad in CASES["lengths"]["invalid"]:
            with self.assertRaises(ValueError, msg=bad):
                L.parse(bad)
