"""`python -m runner_sdk_build SCENARIO_DIR OUT.wasm`, the same as `runner-sdk-build`."""

from . import main

main()
