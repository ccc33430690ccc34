"""Checks a checkpoint directory restored by Checkpoint Lens against the original, with PyTorch.

Usage: /usr/bin/python3 check_restored.py ORIGINAL_DIR RESTORED_DIR

Loads model weights (every *.safetensors, parsed as Python's safetensors does) and optimizer.pt
(torch.load) of both; AdamW over the restored weights must load_state_dict the restored optimizer
state and take a step. Prints JSON: per weight tensor ||W_restored - W|| / ||W||, and for the moments
the relative error of exp_avg and the count of exp_avg_sq entries that are exactly 0.
"""
import glob
import json
import os
import struct
import sys

import torch

DT = dict(F64=torch.float64, F32=torch.float32, F16=torch.float16, BF16=torch.bfloat16)


def read_safetensors(path):
    data = open(path, 'rb').read()
    n, = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    body = data[8 + n:]
    out = {}
    for k, v in header.items():
        b, e = v['data_offsets']
        out[k] = torch.frombuffer(bytearray(body[b:e]), dtype=DT[v['dtype']]).reshape(v['shape']).clone()
    return out


def weights(d):
    w = {}
    for f in sorted(glob.glob(os.path.join(d, '*.safetensors'))):
        w.update(read_safetensors(f))
    return w


def rel(a, b):
    a = a.double()
    b = b.double()
    nb = b.norm().item()
    return (a - b).norm().item() / nb if nb > 0 else (a - b).norm().item()


def main(orig_dir, restored_dir):
    wo, wr = weights(orig_dir), weights(restored_dir)
    assert list(wo) == list(wr), 'tensor names or order differ'
    for k in wo:
        assert wo[k].dtype == wr[k].dtype and wo[k].shape == wr[k].shape, k
    so = torch.load(os.path.join(orig_dir, 'optimizer.pt'), map_location='cpu')
    sr = torch.load(os.path.join(restored_dir, 'optimizer.pt'), map_location='cpu')
    assert so['param_groups'] == sr['param_groups'], (so['param_groups'], sr['param_groups'])
    names = list(wr)
    params = [torch.nn.Parameter(wr[n].float().clone()) for n in names]
    opt = torch.optim.AdamW(params)
    opt.load_state_dict(sr)
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    opt.step()
    m_err, v_zero, v_zero_orig = {}, {}, {}
    for i, n in enumerate(names):
        m_err[n] = rel(sr['state'][i]['exp_avg'], so['state'][i]['exp_avg'])
        v_zero[n] = int((sr['state'][i]['exp_avg_sq'] == 0).sum().item())
        v_zero_orig[n] = int((so['state'][i]['exp_avg_sq'] == 0).sum().item())
    print(json.dumps({
        'weights_rel_err': {k: rel(wr[k], wo[k]) for k in wo},
        'exp_avg_rel_err': m_err,
        'exp_avg_sq_zeros': v_zero,
        'original_exp_avg_sq_zeros': v_zero_orig,
        'step_after_resume': float(opt.state[params[0]]['step']),
    }))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
