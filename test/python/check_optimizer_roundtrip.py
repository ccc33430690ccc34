"""Checks an optimizer.pt written by Checkpoint Lens against the original, with PyTorch.

Usage: /usr/bin/python3 check_optimizer_roundtrip.py ORIGINAL.pt WRITTEN.pt

1. torch.load both; where this PyTorch's weights_only loader accepts the original, the written
   file must load with weights_only=True too (PyTorch 1.13's restricted loader lacks BINFLOAT, so
   there neither loads that way and both load normally);
2. every tensor of `state` must equal the original bit for bit, with the same dtype and shape,
   and `param_groups` must compare equal;
3. AdamW over parameters of the moments' shapes must load_state_dict it and take a step.
Prints one JSON line with what it checked; exits 1 with a message on any difference.
"""
import inspect
import json
import sys

import torch


def load(path, weights_only):
    kwargs = {"map_location": "cpu"}
    if weights_only:
        kwargs["weights_only"] = True
    return torch.load(path, **kwargs)


def weights_only_accepts(path):
    if "weights_only" not in inspect.signature(torch.load).parameters:
        return False
    try:
        load(path, weights_only=True)
        return True
    except Exception:  # noqa: BLE001 - any refusal means "not loadable that way"
        return False


def same_bits(a, b):
    if a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
        return False
    return torch.equal(a.reshape(-1).view(torch.uint8), b.reshape(-1).view(torch.uint8))


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def main(original_path, written_path):
    weights_only = weights_only_accepts(original_path)
    original = load(original_path, weights_only=False)
    written = load(written_path, weights_only=weights_only)
    if set(original["state"]) != set(written["state"]):
        fail(f"state keys differ: {sorted(original['state'])} vs {sorted(written['state'])}")
    tensors = 0
    for index, entry in original["state"].items():
        other = written["state"][index]
        if list(entry) != list(other):
            fail(f"state[{index}] keys differ: {list(entry)} vs {list(other)}")
        for key, value in entry.items():
            if torch.is_tensor(value):
                if not torch.is_tensor(other[key]) or not same_bits(value, other[key]):
                    fail(f"state[{index}][{key!r}] differs")
                tensors += 1
            elif value != other[key]:
                fail(f"state[{index}][{key!r}]: {value!r} vs {other[key]!r}")
    if original["param_groups"] != written["param_groups"]:
        fail(f"param_groups differ: {original['param_groups']} vs {written['param_groups']}")
    if type(written["param_groups"][0]["betas"]) is not tuple:
        fail("betas should be a tuple")

    # Resume: AdamW over parameters of the right shapes, in index order.
    indices = sorted(written["state"])
    params = [torch.nn.Parameter(torch.zeros_like(written["state"][i]["exp_avg"])) for i in indices]
    group = written["param_groups"][0]
    opt = torch.optim.AdamW(params, lr=group["lr"], betas=group["betas"], eps=group["eps"],
                            weight_decay=group["weight_decay"], amsgrad=group["amsgrad"])
    opt.load_state_dict(written)
    step_before = float(opt.state[params[0]]["step"])
    torch.manual_seed(0)
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    opt.step()
    step_after = float(opt.state[params[0]]["step"])
    if step_after != step_before + 1:
        fail(f"step went from {step_before} to {step_after}")
    if not all(torch.isfinite(p).all() for p in params):
        fail("non-finite parameters after the step")
    print(json.dumps({"tensors": tensors, "params": len(params), "step_before": step_before,
                      "step_after": step_after, "weights_only": weights_only, "torch": torch.__version__}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
