"""PyTorch side of the state-dict tests.

make OUT.bin       torch.save a small state dict with many dtypes, a Parameter, a tied (shared)
                   tensor and a scalar; print the expected tensors as JSON.
make-strided OUT   torch.save a dict holding a transposed (non-contiguous) tensor.
load PATH          torch.load PATH (weights_only where available) and print its tensors as JSON.
JSON: [{"name", "dtype", "shape", "values": [floats]}] in the dict's order.
"""
import inspect
import json
import sys
from collections import OrderedDict

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL"}


def describe(state):
    return [{"name": k, "dtype": DTYPES[v.dtype], "shape": list(v.shape),
             "values": v.detach().reshape(-1).to(torch.float64).tolist()} for k, v in state.items()]


def make(path):
    g = torch.Generator().manual_seed(7)
    embed = torch.randn(5, 3, generator=g)
    state = OrderedDict()
    state["embed.weight"] = embed
    state["f64"] = torch.randn(2, 2, generator=g, dtype=torch.float64)
    state["f16"] = torch.randn(4, generator=g).half()
    state["bf16"] = torch.randn(2, 3, generator=g).bfloat16()
    state["i64"] = torch.tensor([-3, 0, 2**40], dtype=torch.int64)
    state["i32"] = torch.tensor([-7, 9], dtype=torch.int32)
    state["i16"] = torch.tensor([-300], dtype=torch.int16)
    state["i8"] = torch.tensor([-5, 5], dtype=torch.int8)
    state["u8"] = torch.tensor([250, 1], dtype=torch.uint8)
    state["mask"] = torch.tensor([True, False, True])
    state["scalar"] = torch.tensor(2.5)
    state["param"] = torch.nn.Parameter(torch.arange(6.0).reshape(2, 3))
    state["lm_head.weight"] = embed  # tied: saved once, referenced twice
    state["row"] = embed[2]  # a view at a storage offset
    torch.save(state, path)
    return state


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "make":
        print(json.dumps(describe(make(path))))
    elif cmd == "make-strided":
        torch.save({"t": torch.arange(6.0).reshape(2, 3).t()}, path)
    elif cmd == "load":
        kwargs = {"map_location": "cpu"}
        if "weights_only" in inspect.signature(torch.load).parameters:
            kwargs["weights_only"] = True
        print(json.dumps(describe(torch.load(path, **kwargs))))
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
