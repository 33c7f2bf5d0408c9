#!/usr/bin/env bash
# The torch backend on a CUDA device, in one short run (under 5 minutes, for a machine
# with a GPU): the CUDA-marked tests (forward parity with the numba kernels, training
# on the device), the compiled recurrence (torch.compile of the step) against the
# reference loop on the device (states and gradients), then the adding problem at T=50
# with the rotational WCRNN and the baselines on the GPU and on the CPU (where the
# fused numba recurrence runs), for the speed ratio. Writes
# benchmarks/results/bench_torch_{cuda,cpu_ref}.json and their learning curves.
# Needs torch with CUDA and the project installed: pip install -e ".[test]".
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name(0))"
python -m pytest -q -m cuda tests/test_torch_modules.py tests/test_torch_estimators.py
timeout 240 python - <<'PY'
import time

import torch

from wcrnn_rc.torch import WCRNN

# The GPU paths against the reference loop on the device, and their time per batch
# (forward + backward, 64 sequences of 784 steps, 64 units), with the CPU's fused path.
torch.manual_seed(0)
x = torch.rand(64, 784, 1)
for dtype, tol in ((torch.float64, 1e-10), (torch.float32, 1e-4)):
    rnn = WCRNN(1, 64, residual="rotational", train_residual=True, random_state=0, dtype=dtype)
    results = {}
    for device, recurrence in (("cpu", "fused"), ("cuda", "reference"), ("cuda", "compiled")):
        rnn.to(device).recurrence = recurrence
        xd = x.to(device, dtype)
        times = []
        for _ in range(4):  # the first call compiles
            rnn.zero_grad()
            start = time.perf_counter()
            states, last = rnn(xd)
            (states.square().mean() + last.sum()).backward()
            if device == "cuda":
                torch.cuda.synchronize()
            times.append(time.perf_counter() - start)
        grads = [p.grad.detach().cpu().double() for p in rnn.parameters() if p.numel()]
        results[(device, recurrence)] = (states.detach().cpu().double(), grads)
        print(f"{dtype} {device:>4} {recurrence:<9} first {times[0]:7.2f} s, then {min(times[1:]) * 1e3:8.1f} ms")
    want_states, want_grads = results[("cpu", "fused")]
    for key, (got_states, got_grads) in results.items():
        worst = max((got_states - want_states).abs().max().item(),
                    *((g - w).abs().max().item() for g, w in zip(got_grads, want_grads)))
        scale = max(1.0, max(w.abs().max().item() for w in want_grads))
        status = "ok" if worst <= tol * scale else "MISMATCH"
        print(f"  {key}: max difference from CPU fused {worst:.2e} ({status})")
PY
for device in cuda cpu; do
    name=bench_torch_$([ "$device" = cuda ] && echo cuda || echo cpu_ref)
    python benchmarks/bench_torch.py --device "$device" --name "$name" \
        --adding-steps 50 --families rotational --skip-digits --epochs 5
done
