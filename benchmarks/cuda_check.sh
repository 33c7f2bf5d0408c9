#!/usr/bin/env bash
# The torch backend on a CUDA device, in one short run (for a machine with a GPU):
# the CUDA-marked tests (forward parity with the numba kernels, training on the
# device), then the adding problem at T=50 with the rotational WCRNN and the baselines
# on the GPU and on the CPU, for the speed ratio. Writes
# benchmarks/results/bench_torch_{cuda,cpu_ref}.json and their learning curves.
# Needs torch with CUDA and the project installed: pip install -e ".[test]".
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))"
python -m pytest -q -m cuda tests/test_torch_modules.py tests/test_torch_estimators.py
for device in cuda cpu; do
    name=bench_torch_$([ "$device" = cuda ] && echo cuda || echo cpu_ref)
    python benchmarks/bench_torch.py --device "$device" --name "$name" \
        --adding-steps 50 --families rotational --skip-digits
done
