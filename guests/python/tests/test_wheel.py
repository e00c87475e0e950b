"""The wheel `pip wheel guests/python` builds: the two packages (the SDK and its build tool), the
WIT as the build tool's package data, metadata matching pyproject.toml, and nothing stray. Built
from a copy of the SDK (the checkout stays clean of build/ and *.egg-info), with pip's build
isolation, which takes setuptools from PyPI or pip's cache."""

import email.parser
import shutil
import subprocess
import sys
import tempfile
import tomllib
import unittest
import zipfile
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent
WIT = SDK.parent.parent / "wit"


def build_wheel(out: Path) -> list[Path]:
    """Builds the SDK's wheel into `out` and returns the files there."""
    copy = out / "src-copy"
    # symlinks=False: the copy holds the WIT files themselves, as the wheel must.
    shutil.copytree(SDK, copy, ignore=shutil.ignore_patterns(".venv", "__pycache__", "build", "*.egg-info"))
    wheels = out / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*command, str(copy), "-w", str(wheels)], check=True)
    return sorted(wheels.iterdir())


class Wheel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.wheels = build_wheel(Path(cls.tmp.name))
        cls.project = tomllib.loads((SDK / "pyproject.toml").read_text())["project"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def wheel(self) -> zipfile.ZipFile:
        return zipfile.ZipFile(self.wheels[0])

    def dist_info(self, name: str) -> str:
        version = self.project["version"]
        return self.wheel().read(f"runner_sdk-{version}.dist-info/{name}").decode()

    def test_one_pure_python_wheel_named_by_the_version(self):
        names = [w.name for w in self.wheels]
        self.assertEqual(names, [f"runner_sdk-{self.project['version']}-py3-none-any.whl"])

    def test_it_holds_the_packages_and_the_wit_and_nothing_else(self):
        files = set(self.wheel().namelist())
        sources = {
            f"{p.parent.name}/{p.name}"
            for package in ("runner_sdk", "runner_sdk_build")
            for p in (SDK / "src" / package).glob("*.py")
        }
        wit = {f"runner_sdk_build/wit/{p.name}" for p in WIT.glob("*.wit")}
        self.assertIn("runner_sdk_build/wit/world.wit", wit)
        self.assertIn("runner_sdk/__init__.py", sources)
        dist = f"runner_sdk-{self.project['version']}.dist-info/"
        meta = {dist + f for f in ("METADATA", "WHEEL", "RECORD", "top_level.txt", "entry_points.txt")}
        self.assertEqual(files - meta, sources | wit, "exactly the sources and the WIT")
        self.assertLessEqual(meta, files)

    def test_the_metadata_is_pyprojects(self):
        meta = email.parser.Parser().parsestr(self.dist_info("METADATA"))
        self.assertEqual(meta["Name"], "runner-sdk")
        self.assertEqual(meta["Version"], self.project["version"])
        self.assertEqual(meta["Requires-Python"], ">=3.11")
        # The build tool's componentize-py is the one the checkout's build.sh installs.
        pinned = [line for line in (SDK / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
        self.assertEqual(meta.get_all("Requires-Dist"), pinned)

    def test_the_build_command_is_an_entry_point(self):
        self.assertIn("runner-sdk-build = runner_sdk_build:main", self.dist_info("entry_points.txt"))


if __name__ == "__main__":
    unittest.main()
