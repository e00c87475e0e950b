"""runner-sdk-build: builds a Python scenario into a Wasm component of world runner:scenario/scenario.

    runner-sdk-build SCENARIO_DIR OUT.wasm [--wit DIR]

SCENARIO_DIR holds `app.py` (the module that assigns `Guest = export(MyScenario)`) and any modules
it imports. componentize-py (a dependency of this package, pinned) snapshots CPython with the
scenario and the `runner_sdk` package imported.

This is a package of its own, beside `runner_sdk`, because `runner_sdk` can only be imported
inside a component (it imports the generated `wit_world` bindings), and so that the guest gets
`runner_sdk` alone: not this tool, not the WIT and not the site-packages both are installed in
(which hold componentize-py itself). The WIT is package data here (`wit/`, in the checkout a link
to the repository's wit/), so an installed SDK needs no checkout.
"""

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["build", "main", "sdk_dir", "wit_dir"]

# What never belongs in a guest: build outputs, caches, hidden folders (.venv, .git).
_NOT_GUEST = shutil.ignore_patterns(".*", "__pycache__", "*.pyc", "*.wasm")


def wit_dir() -> Path:
    """The runner:scenario WIT this SDK speaks."""
    return Path(__file__).resolve().parent / "wit"


def sdk_dir() -> Path:
    """The `runner_sdk` package folder, found without importing it (it imports only inside a component)."""
    spec = importlib.util.find_spec("runner_sdk")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("error: the runner_sdk package is not installed beside runner_sdk_build")
    return Path(next(iter(spec.submodule_search_locations)))


def _componentize_env() -> dict:
    """The environment for componentize-py, which adds site-packages to the guest's path: with
    $VIRTUAL_ENV that venv's, else those of the first `python3` on $PATH. Neither the venv this
    tool runs in nor its bin/ may lend its site-packages (the build tools) to the guest."""
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)  # the checkout's build.sh finds this package through it
    if sys.prefix != sys.base_prefix:
        venv_bin = str(Path(sys.prefix) / "bin")
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def build(scenario: Path, out: Path, wit: Path | None = None) -> None:
    """Builds `scenario/app.py` into the component `out` (written whole or not at all)."""
    if not (scenario / "app.py").is_file():
        raise SystemExit(f"error: {scenario}/app.py not found: a scenario is an app.py module")
    wit = wit or wit_dir()
    if not (wit / "world.wit").is_file():
        raise SystemExit(f"error: no WIT at {wit} (world.wit missing): pass --wit DIR")
    with tempfile.TemporaryDirectory(prefix="runner-py-") as tmp:
        # Copies, so that the guest's path holds exactly the SDK and the scenario's own files.
        sdk_path, app_path = Path(tmp) / "sdk", Path(tmp) / "app"
        shutil.copytree(sdk_dir(), sdk_path / "runner_sdk", ignore=_NOT_GUEST)
        shutil.copytree(scenario, app_path, ignore=_NOT_GUEST)
        # Beside `out`, so that the final rename is atomic.
        partial = out.with_name(f"{out.name}.tmp{os.getpid()}")
        command = [sys.executable, "-c", "import sys; from componentize_py import script; sys.exit(script())"]
        command += ["-q", "-d", str(wit), "-w", "scenario", "componentize"]
        command += ["-p", str(sdk_path), "-p", str(app_path), "app", "-o", str(partial)]
        try:
            done = subprocess.run(command, env=_componentize_env(), check=False)
            if done.returncode != 0:
                raise SystemExit(f"error: componentize-py failed (exit {done.returncode})")
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    """The `runner-sdk-build` command."""
    parser = argparse.ArgumentParser(
        prog="runner-sdk-build", description="Build a Python runner scenario (SCENARIO_DIR/app.py) into a Wasm component."
    )
    parser.add_argument("scenario", type=Path, metavar="SCENARIO_DIR")
    parser.add_argument("out", type=Path, metavar="OUT.wasm")
    parser.add_argument("--wit", type=Path, help="the runner:scenario WIT (default: the one packaged with this SDK)")
    args = parser.parse_args(argv)
    build(args.scenario, args.out, args.wit)
    print(f"built {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
